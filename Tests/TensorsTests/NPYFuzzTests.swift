import Foundation
import Tensors
import XCTest

/// Corrupt files must be refused with an error, never crash the reader: random mutations of valid
/// files, bounded in count and time.
final class NPYFuzzTests: XCTestCase {
    static let mutationLimit = 3000
    static let timeLimit = Duration.seconds(3)

    /// Header fragments that steer mutations into the parser's corners.
    static let tokens = [
        "(", ")", ",", "'", "\"", "{", "}", ":", "[", "]", "\\", " ", "\n", "L", "-", "True", "False", "None",
        "-1", "0", "7", "9223372036854775807", "99999999999999999999", "'<f8'", "'>f4'", "'|i1'", "'<i8'",
        "'shape'", "'descr'", "(((((((((((((((((((((", "(1, 2, 3, 4, 5, 6, 7, 8)",
    ]

    func testEveryStrictPrefixIsRefused() throws {
        for (name, file) in try corpus() {
            for length in 0..<file.count {
                XCTAssertThrowsError(try NPY.read(bytes: Array(file[..<length])), "\(name) cut to \(length) bytes")
            }
        }
    }

    func testRandomMutationsAreReadConsistentlyOrRefused() throws {
        var generator = SeededGenerator(seed: testSeed)
        let files = try corpus()
        let clock = ContinuousClock()
        let start = clock.now
        var (mutations, accepted, refused) = (0, 0, 0)
        while mutations < Self.mutationLimit && clock.now - start < Self.timeLimit {
            let (name, original) = files[Int.random(in: 0..<files.count, using: &generator)]
            var file = original
            var applied: [String] = []
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                applied.append(mutate(&file, using: &generator))
            }
            mutations += 1
            do {
                let tensor = try NPY.read(bytes: file)
                XCTAssertEqual(Tensor<Int8>.elementCount(of: tensor.shape), tensor.count,
                               "\(name) after \(applied), mutation \(mutations), seed \(testSeed)")
                accepted += 1
            } catch {
                XCTAssertFalse(error.description.isEmpty)
                refused += 1
            }
        }
        print("npy fuzz: \(mutations) mutations (seed \(testSeed)): \(accepted) read, \(refused) refused")
        XCTAssertGreaterThan(refused, 0)
        XCTAssertGreaterThan(accepted, 0, "some mutations (data bytes) leave a valid file")
    }

    /// Applies one random mutation to `file`; returns its name.
    private func mutate(_ file: inout [UInt8], using generator: inout SeededGenerator) -> String {
        func position(in count: Int) -> Int { count == 0 ? 0 : Int.random(in: 0..<count, using: &generator) }
        // Mutations aim at the header (the first 128 bytes hold it in the corpus) half of the time.
        let headerEnd = min(file.count, 128)
        switch Int.random(in: 0..<10, using: &generator) {
        case 0:
            guard !file.isEmpty else { return "flip (empty)" }
            let at = position(in: file.count)
            file[at] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            return "flip bit at \(at)"
        case 1:
            guard headerEnd > 0 else { return "set (empty)" }
            let at = position(in: headerEnd)
            file[at] = UInt8.random(in: 0...255, using: &generator)
            return "set byte \(at)"
        case 2:
            let length = position(in: file.count + 1)
            file.removeSubrange(length...)
            return "truncate to \(length)"
        case 3:
            let at = position(in: file.count + 1)
            let inserted = (0..<Int.random(in: 1...8, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            file.insert(contentsOf: inserted, at: at)
            return "insert \(inserted.count) bytes at \(at)"
        case 4:
            let from = position(in: file.count + 1)
            let to = min(file.count, from + Int.random(in: 1...16, using: &generator))
            file.removeSubrange(from..<to)
            return "delete \(from)..<\(to)"
        case 5, 6:
            let token = Array(Self.tokens[Int.random(in: 0..<Self.tokens.count, using: &generator)].utf8)
            let at = min(position(in: headerEnd), file.count)
            let replaced = min(file.count - at, Int.random(in: 0...token.count, using: &generator))
            file.replaceSubrange(at..<at + replaced, with: token)
            return "token at \(at)"
        case 7, 8:
            // Edit the dictionary and frame it again with a correct length, so the parser sees it whole.
            guard let (major, text, data) = split(file) else { return "header edit (no header)" }
            var edited = text
            let token = Array(Self.tokens[Int.random(in: 0..<Self.tokens.count, using: &generator)].utf8)
            let at = position(in: edited.count + 1)
            let replaced = min(edited.count - at, Int.random(in: 0...token.count, using: &generator))
            edited.replaceSubrange(at..<at + replaced, with: token)
            file = npyFile(header: String(decoding: edited, as: UTF8.self), major: major, data: data)
            return "header edit at \(at)"
        default:
            guard file.count >= 12 else { return "length (short)" }
            let at = Int.random(in: 8..<12, using: &generator)
            file[at] = [0, 1, 0x7F, 0x80, 0xFF, UInt8.random(in: 0...255, using: &generator)][position(in: 6)]
            return "length byte \(at)"
        }
    }

    /// The version, the header text without its padding, and the data of a well-framed file.
    private func split(_ file: [UInt8]) -> (major: UInt8, text: [UInt8], data: [UInt8])? {
        guard file.count >= 12, (1...3).contains(file[6]) else { return nil }
        let major = file[6]
        let start = major == 1 ? 10 : 12
        let length = (0..<(start - 8)).reduce(0) { $0 | Int(file[8 + $1]) << (8 * $1) }
        guard start + length <= file.count else { return nil }
        var text = Array(file[start..<start + length])
        while let last = text.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\n") { text.removeLast() }
        return (major, text, Array(file[(start + length)...]))
    }

    /// Valid files of every dtype and header version, as written by Q3D and by NumPy.
    private func corpus() throws -> [(name: String, bytes: [UInt8])] {
        var generator = SeededGenerator(seed: testSeed)
        let float32 = try Tensor<Float>.randomNonZero(shape: [2, 3, 4], using: &generator)
        let int8 = try Tensor<Int8>.randomNonZero(shape: [5], using: &generator)
        var files: [(String, [UInt8])] = [
            ("float32", NPY.encode(float32)),
            ("int8", NPY.encode(int8)),
            ("uint8", NPY.encode(try Tensor<UInt8>.randomNonZero(shape: [3, 1, 2], using: &generator))),
            ("int64 scalar", NPY.encode(try Tensor<Int64>(shape: [], elements: [-5]))),
            ("float16 empty", NPY.encode(try Tensor<Float16>(shape: [0, 3], elements: []))),
            ("int32", NPY.encode(try Tensor<Int32>(shape: [4], elements: [1, -2, 3, .max]))),
            ("version 3", npyFile(header: "{'descr': '|i1', 'fortran_order': False, 'shape': (5,), }", major: 3,
                                  data: int8.elements.map { UInt8(bitPattern: $0) })),
        ]
        for name in ["version2_float32", "bigendian_int64", "fortran_float32", "float16"] {
            files.append((name, try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixturePath("\(name).npy"))))))
        }
        return files
    }
}
