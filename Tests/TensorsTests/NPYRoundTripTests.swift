import Foundation
import Tensors
import XCTest

/// Encode then read back, in memory and through files, for every dtype and awkward shapes.
final class NPYRoundTripTests: XCTestCase {
    let shapes: [[Int]] = [[], [0], [7], [2, 3, 4], [1, 5, 1, 2, 2], [0, 3], [1, 1, 1, 1, 1, 1, 1, 2]]

    func testEveryDTypeRoundTripsInMemory() throws {
        var generator = SeededGenerator(seed: testSeed)
        for shape in shapes {
            for tensor in try randomTensors(shape: shape, using: &generator) {
                let bytes = NPY.encode(tensor)
                XCTAssertEqual(bytes.count % 64, (tensor.count * tensor.dtype.byteSize) % 64, "data starts aligned")
                XCTAssertEqual(try NPY.read(bytes: bytes), tensor, "\(tensor.dtype) \(shape) seed=\(testSeed)")
            }
        }
    }

    func testEveryDTypeRoundTripsThroughAFile() throws {
        var generator = SeededGenerator(seed: testSeed)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for tensor in try randomTensors(shape: [3, 4, 5], using: &generator) {
            let path = directory.appendingPathComponent("\(tensor.dtype).npy").path
            try NPY.write(tensor, to: path)
            XCTAssertEqual(try NPY.read(path: path), tensor, "\(tensor.dtype) seed=\(testSeed)")
        }
        let typed = try Tensor<Float>.randomNonZero(shape: [2, 2], layout: .ncdhw, using: &generator)
        let path = directory.appendingPathComponent("typed.npy").path
        try NPY.write(typed, to: path)
        // The layout is not stored in the file.
        XCTAssertEqual(try NPY.read(path: path, as: Float.self), typed.withLayout(nil))
    }

    /// A header too long for version 1.0's 2-byte length is written as version 2.0.
    func testHugeHeaderIsWrittenAsVersion2() throws {
        let tensor = try Tensor<Int8>(shape: Array(repeating: 1, count: 30_000), repeating: 5)
        let bytes = NPY.encode(tensor)
        XCTAssertEqual(bytes[6], 2)
        XCTAssertEqual(try NPY.read(bytes: bytes), .int8(tensor))
    }

    func testAnyTensorGivesTypedAndFloatTensors() throws {
        let values: [Int32] = [-70_000, 0, 16_777_216]
        let any = AnyTensor.int32(try Tensor(shape: [3], elements: values))
        XCTAssertEqual(any.dtype, .int32)
        XCTAssertEqual(any.shape, [3])
        XCTAssertEqual(any.count, 3)
        XCTAssertEqual(try any.tensor(of: Int32.self).elements, values)
        XCTAssertEqual(any.convertedToFloat().elements, [-70_000, 0, 16_777_216])
        assertThrows(.dtypeMismatch(expected: .float32, actual: .int32), containing: ["expected a tensor of float32, got int32"]) {
            try any.tensor(of: Float.self)
        }
        let half = AnyTensor.float16(try Tensor(shape: [2], elements: [Float16(0.5), -2]))
        XCTAssertEqual(half.convertedToFloat().elements, [0.5, -2])
    }

    /// One random tensor of each dtype, with values spread over the type's whole range.
    private func randomTensors(shape: [Int], using generator: inout SeededGenerator) throws -> [AnyTensor] {
        let count = Tensor<Int8>.elementCount(of: shape) ?? 0
        func values<T>(_ make: (inout SeededGenerator) -> T) -> [T] { (0..<count).map { _ in make(&generator) } }
        return [
            .float32(try Tensor(shape: shape, elements: values { Float.random(in: -1e6...1e6, using: &$0) })),
            .float16(try Tensor(shape: shape, elements: values { Float16(Float.random(in: -6e4...6e4, using: &$0)) })),
            .int8(try Tensor(shape: shape, elements: values { Int8.random(in: .min ... .max, using: &$0) })),
            .uint8(try Tensor(shape: shape, elements: values { UInt8.random(in: .min ... .max, using: &$0) })),
            .int32(try Tensor(shape: shape, elements: values { Int32.random(in: .min ... .max, using: &$0) })),
            .int64(try Tensor(shape: shape, elements: values { Int64.random(in: .min ... .max, using: &$0) })),
        ]
    }
}
