import Foundation
import Tensors
import XCTest

/// Every way a file can be refused, and the message that says why.
final class NPYErrorTests: XCTestCase {
    let float32Data = [UInt8](repeating: 0, count: 24)

    func testFileErrorsNameThePath() throws {
        let missing = fixturePath("no_such_file.npy")
        assertThrows(.file(path: missing, reason: "no such file"), containing: [missing, "no such file"]) {
            try NPY.read(path: missing)
        }
        let directory = fixturePath("")
        assertThrows(containing: [directory, "is a directory"]) { try NPY.read(path: directory) }
        let unwritable = fixturePath("no_such_folder/out.npy")
        assertThrows(containing: [unwritable, "cannot be written"]) {
            try NPY.write(try Tensor<Int8>(shape: [1], elements: [1]), to: unwritable)
        }
        assertThrows(.dtypeMismatch(expected: .int8, actual: .float32), containing: ["expected a tensor of int8"]) {
            try NPY.read(path: fixturePath("float32.npy"), as: Int8.self)
        }
    }

    func testPreambleErrors() {
        assertThrows(containing: ["<npy bytes>: not an .npy file", "[0x50 0x4b 0x3 0x4]", "\\x93NUMPY"]) {
            try NPY.read(bytes: [0x50, 0x4B, 0x03, 0x04])
        }
        assertThrows(containing: ["weights.npy: not an .npy file: it starts with []"]) {
            try NPY.read(bytes: [], source: "weights.npy")
        }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        assertThrows(containing: ["file ends after 7 bytes, inside the version"]) { try NPY.read(bytes: magic + [1]) }
        assertThrows(containing: ["unsupported .npy format version 4.0; expected 1.0, 2.0 or 3.0"]) {
            try NPY.read(bytes: magic + [4, 0, 10, 0])
        }
        assertThrows(containing: ["unsupported .npy format version 1.1"]) { try NPY.read(bytes: magic + [1, 1, 10, 0]) }
        assertThrows(containing: ["file ends after 11 bytes, inside the header length; expected at least 12"]) {
            try NPY.read(bytes: magic + [2, 0, 10, 0, 0])
        }
        assertThrows(containing: ["header length 118 runs past the end of the file: only 5 bytes follow"]) {
            try NPY.read(bytes: magic + [1, 0, 118, 0] + Array("{'a':".utf8))
        }
        assertThrows(containing: ["header length 4294967295 runs past the end"]) {
            try NPY.read(bytes: magic + [3, 0, 255, 255, 255, 255])
        }
    }

    func testHeaderSyntaxErrorsSayWhereAndWhat() {
        let cases: [(header: String, message: String)] = [
            ("", "expected a string, integer, True, False, None, tuple, list or dictionary, found the end at offset"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), ", "expected a quoted key or '}', found"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} x", "expected the end after the value, found 'x'"),
            ("{'descr': '<f4, 'fortran_order': False, 'shape': (6,), }", "expected ',' or '}', found 'f'"),
            ("{'descr: '<f4'}", "expected ':' after key 'descr: '"),
            ("{descr: '<f4'}", "expected a quoted key or '}', found 'd' at offset 1"),
            ("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (6,), }", "found 'F' at offset 34"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (6 7), }", "expected ',' or ')', found '7'"),
            ("{'shape': (9999999999999999999,)}", "expected an integer of at most 9223372036854775807"),
            ("{'shape': (-,)}", "expected digits, found ','"),
            ("{'descr': 'a\\qb'}", "expected \\\\, \\' or \\\" after a backslash"),
            ("{'descr': '<f4', 'descr': '<f4'}", "expected each key once, 'descr' repeats"),
            (String(repeating: "(", count: 40), "expected at most 16 nested brackets"),
        ]
        for (header, message) in cases {
            assertThrows(containing: ["header is not a Python dictionary literal", message]) {
                try NPY.read(bytes: npyFile(header: header, data: float32Data))
            }
        }
    }

    func testHeaderContentErrors() {
        let cases: [(header: String, message: String)] = [
            ("[1, 2]", "header is a list; expected a dictionary"),
            ("{'descr': '<f4', 'shape': (6,)}", "header has keys [\"descr\", \"shape\"]; expected exactly "
                + "[\"descr\", \"fortran_order\", \"shape\"]"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", "header has keys"),
            ("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}",
             "'descr' is a list (a structured dtype?); expected one of '<f4', '<f2', '|i1', '|u1', '<i4', '<i8'"),
            ("{'descr': '<c8', 'fortran_order': False, 'shape': (3,)}", "dtype '<c8' is not supported; expected one of"),
            ("{'descr': '', 'fortran_order': False, 'shape': (6,)}", "dtype '' is not supported"),
            ("{'descr': 'f4', 'fortran_order': False, 'shape': (6,)}", "dtype 'f4' is not supported"),
            ("{'descr': '|f4', 'fortran_order': False, 'shape': (6,)}",
             "dtype '|f4' does not say the byte order of its 4-byte values; expected '<' or '>'"),
            ("{'descr': '=i4', 'fortran_order': False, 'shape': (6,)}", "dtype '=i4' does not say the byte order"),
            ("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}", "'fortran_order' is an integer; expected True or False"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': 6}", "'shape' is an integer; expected a tuple of integers"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (6)}", "'shape' is an integer; expected a tuple"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", "'shape' is a list; expected a tuple"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", "'shape' holds -3; expected integers 0 or more"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, '3')}", "'shape' holds a string; expected integers"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, None)}", "'shape' holds None"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 2)}",
             "'shape' [9223372036854775807, 2] has more elements than fit in Int"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904,)}",
             "'shape' [4611686018427387904] of float32 has more bytes than fit in Int"),
        ]
        for (header, message) in cases {
            assertThrows(containing: [message]) { try NPY.read(bytes: npyFile(header: header, data: float32Data)) }
        }
    }

    func testUnsupportedFixturesAreRefusedClearly() {
        assertThrows(containing: ["fortran_float32.npy", "'fortran_order' is True: only C-order arrays are supported",
                                  "np.ascontiguousarray"]) {
            try NPY.read(path: fixturePath("fortran_float32.npy"))
        }
        assertThrows(containing: ["float64.npy", "dtype '<f8' is not supported"]) {
            try NPY.read(path: fixturePath("float64.npy"))
        }
        assertThrows(containing: ["bool.npy", "dtype '|b1' is not supported"]) { try NPY.read(path: fixturePath("bool.npy")) }
    }

    func testDataLengthMustMatchTheShape() throws {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        assertThrows(containing: ["data is truncated: shape [2, 3] of float32 needs 24 bytes after the 128-byte header, "
                                  + "the file has 23"]) {
            try NPY.read(bytes: npyFile(header: header, data: Array(float32Data.dropLast())))
        }
        assertThrows(containing: ["data is longer than its shape", "needs 24 bytes", "the file has 25"]) {
            try NPY.read(bytes: npyFile(header: header, data: float32Data + [0]))
        }
        XCTAssertEqual(try NPY.read(bytes: npyFile(header: header, data: float32Data)).shape, [2, 3])
    }

    /// Spellings NumPy and other writers use that the parser must take.
    func testHeaderVariantsAreAccepted() throws {
        let variants = [
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
            "{\"shape\": (2,3), \"fortran_order\": False, \"descr\": \"<f4\"}",
            "{ 'descr' : '<f4' ,\n\t'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L)}",
        ]
        for header in variants {
            XCTAssertEqual(try NPY.read(bytes: npyFile(header: header, data: float32Data)).shape, [2, 3], header)
            XCTAssertEqual(try NPY.read(bytes: npyFile(header: header, major: 2, data: float32Data)).shape, [2, 3], header)
        }
    }
}
