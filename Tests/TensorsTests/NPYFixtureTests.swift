import Foundation
import Tensors
import XCTest

/// Files written by NumPy (`Fixtures/make_npy_fixtures.py`): the values it wrote are the values read,
/// and what Q3D writes is what NumPy writes, byte for byte.
final class NPYFixtureTests: XCTestCase {
    static let float32Values = (0..<24).map { Float($0) * 0.25 - 2.5 }
    static let int64Values: [Int64] = [-(1 << 62), -1, 0, 1, (1 << 40) + 3, .max]

    func testEveryDTypeReadsTheValuesNumPyWrote() throws {
        XCTAssertEqual(try NPY.read(path: fixturePath("float32.npy")),
                       .float32(try Tensor(shape: [2, 3, 4], elements: Self.float32Values)))
        XCTAssertEqual(try NPY.read(path: fixturePath("float16.npy")),
                       .float16(try Tensor(shape: [5], elements: [-1, -0.5, 0, 0.5, 1])))
        XCTAssertEqual(try NPY.read(path: fixturePath("int8.npy")),
                       .int8(try Tensor(shape: [2, 3], elements: [-128, -1, 0, 1, 127, 5])))
        XCTAssertEqual(try NPY.read(path: fixturePath("uint8.npy")),
                       .uint8(try Tensor(shape: [4], elements: [0, 1, 128, 255])))
        XCTAssertEqual(try NPY.read(path: fixturePath("int32.npy")),
                       .int32(try Tensor(shape: [3, 2], elements: [.min, -1, 0, 1, .max, 123_456])))
        XCTAssertEqual(try NPY.read(path: fixturePath("int64.npy")),
                       .int64(try Tensor(shape: [1, 2, 3], elements: Self.int64Values)))
        XCTAssertEqual(try NPY.read(path: fixturePath("scalar_int32.npy")),
                       .int32(try Tensor(shape: [], elements: [-7])))
        XCTAssertEqual(try NPY.read(path: fixturePath("empty_float32.npy")),
                       .float32(try Tensor(shape: [0, 3], elements: [])))
    }

    func testVersion2And3HeadersAreRead() throws {
        XCTAssertEqual(try NPY.read(path: fixturePath("version2_float32.npy")),
                       .float32(try Tensor(shape: [3, 2], elements: [-2, -1, 0, 1, 2, 3])))
        XCTAssertEqual(try NPY.read(path: fixturePath("version3_int8.npy")),
                       .int8(try Tensor(shape: [6], elements: [-3, -2, -1, 0, 1, 2])))
    }

    /// The reader converts big-endian data rather than refusing it.
    func testBigEndianFilesAreConverted() throws {
        XCTAssertEqual(try NPY.read(path: fixturePath("bigendian_float32.npy"), as: Float.self),
                       try Tensor(shape: [2, 3, 4], elements: Self.float32Values))
        XCTAssertEqual(try NPY.read(path: fixturePath("bigendian_int64.npy"), as: Int64.self),
                       try Tensor(shape: [1, 2, 3], elements: Self.int64Values))
    }

    func testEncodingMatchesNumPyByteForByte() throws {
        for name in ["float32", "float16", "int8", "uint8", "int32", "int64", "scalar_int32", "empty_float32"] {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixturePath("\(name).npy"))))
            XCTAssertEqual(NPY.encode(try NPY.read(bytes: bytes)), bytes, name)
        }
    }

    /// NumPy writes `|i1` for int8; other writers use `<i1`, which means the same.
    func testLittleEndianOneByteDescriptorIsAccepted() throws {
        let tensor = try Tensor<Int8>(shape: [3], elements: [1, -2, 3])
        let edited = replacing("|i1", with: "<i1", in: NPY.encode(tensor))
        XCTAssertEqual(try NPY.read(bytes: edited), .int8(tensor))
        let unsigned = replacing("|u1", with: ">u1", in: NPY.encode(try Tensor<UInt8>(shape: [1], elements: [200])))
        XCTAssertEqual(try NPY.read(bytes: unsigned), .uint8(try Tensor(shape: [1], elements: [200])))
    }
}

/// `bytes` with the first occurrence of `old` replaced by `new` (of the same length).
func replacing(_ old: String, with new: String, in bytes: [UInt8]) -> [UInt8] {
    let (oldBytes, newBytes) = (Array(old.utf8), Array(new.utf8))
    guard let start = (0...(bytes.count - oldBytes.count)).first(where: {
        Array(bytes[$0..<$0 + oldBytes.count]) == oldBytes
    }) else { return bytes }
    var result = bytes
    result.replaceSubrange(start..<start + oldBytes.count, with: newBytes)
    return result
}
