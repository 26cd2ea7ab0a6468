import ConvGeometry
import Graph
import Quantization
import Tensors
import XCTest

/// Q3D's int8 operations against straightforward integer arithmetic.
final class Int8KernelTests: XCTestCase {
    let seed: UInt64 = 0x1A78

    func run(_ op: Operator, _ inputs: [AnyTensor]) throws -> AnyTensor {
        let node = Node(name: "n", op, inputs: inputs.indices.map { "i\($0)" }, outputs: ["o"])
        return try CPUExecutor.evaluate(node, inputs)[0]
    }

    func testInt8ConvAppliesTheEpilogueExactly() throws {
        var rng = SeededGenerator(seed: seed)
        let x = try Tensor<Int8>.randomNonZero(shape: [1, 3, 3, 4, 4], using: &rng)
        let w = try Tensor<Int8>.randomNonZero(shape: [2, 3, 1, 3, 3], using: &rng)
        let r = try Tensor<Int8>.randomNonZero(shape: [1, 2, 3, 4, 4], using: &rng)
        let epilogue = Epilogue(scale: [0.0013, 0.0021], bias: [3.5, -2.25], relu: true, residualScale: 0.5)
        let geometry = ConvAttributes(kernel: [1, 3, 3], pads: [0, 1, 1, 0, 1, 1])
        let y = try run(.int8Conv(Int8ConvAttributes(geometry: geometry, epilogue: epilogue)), [.int8(x), .int8(w), .int8(r)])
        guard case .int8(let out) = y else { return XCTFail("seed \(seed): \(y.dtype)") }
        for k in 0..<2 {
            for d in 0..<3 {
                for h in 0..<4 {
                    for wi in 0..<4 {
                        var acc: Int32 = 0
                        for c in 0..<3 {
                            for a in 0..<3 {
                                for b in 0..<3 {
                                    let ih = h - 1 + a
                                    let iw = wi - 1 + b
                                    guard (0..<4).contains(ih), (0..<4).contains(iw) else { continue }
                                    acc += Int32(x.elements[((c * 3 + d) * 4 + ih) * 4 + iw]) * Int32(w.elements[((k * 3 + c) * 3 + a) * 3 + b])
                                }
                            }
                        }
                        let i = ((k * 3 + d) * 4 + h) * 4 + wi
                        XCTAssertEqual(out.elements[i], epilogue.apply(acc, channel: k, residual: r.elements[i]), "seed \(seed) at \(i)")
                    }
                }
            }
        }
    }

    func testGlobalAveragePoolSumsInInt32AndRescalesOnce() throws {
        // 7·7·8 = 392 values of 127 and one of 1: rounding each partial mean would lose the 1.
        var values = [Int8](repeating: 127, count: 392)
        values[0] = 1
        let x = AnyTensor.int8(try Tensor(shape: [1, 1, 8, 7, 7], elements: values))
        let pooled = try run(.int8AveragePool(Int8PoolAttributes(window: .global(keepDims: false), scale: 0.1, outputType: .float32)), [x])
        XCTAssertEqual(pooled.shape, [1, 1])
        XCTAssertEqual(pooled.floatValues[0], Float(127 * 391 + 1) * (0.1 / 392), accuracy: 1e-6)
        let requantized = try run(.int8AveragePool(Int8PoolAttributes(window: .global(keepDims: true), scale: 0.5, outputType: .int8)), [x])
        XCTAssertEqual(requantized.integerValues, [Int(Epilogue.saturate(Float(127 * 391 + 1) * (0.5 / 392)))])
    }

    func testInt8AddMaxPoolAndRelu() throws {
        let a = AnyTensor.int8(try Tensor(shape: [1, 1, 1, 2, 2], elements: [-100, 50, 127, -3]))
        let b = AnyTensor.int8(try Tensor(shape: [1, 1, 1, 2, 2], elements: [20, 20, 127, 1]))
        let sum = try run(.int8Add(Int8AddAttributes(scaleA: 0.5, scaleB: 1.5, relu: true)), [a, b])
        XCTAssertEqual(sum.integerValues, [0, 55, 127, 0])
        let pool = try run(.int8MaxPool(PoolAttributes(kernel: [1, 2, 2])), [a])
        XCTAssertEqual(pool.integerValues, [127])
        XCTAssertEqual(try run(.int8Relu, [a]).integerValues, [0, 50, 127, 0])
    }

    func testQuantizeLinearRoundsHalfToEvenAndSaturates() throws {
        let x = AnyTensor.vector([0.5, 1.5, 2.5, -0.5, 1000, -1000])
        let zero = AnyTensor.int8(try Tensor(shape: [], elements: [0]))
        let q = try run(.quantizeLinear(axis: 0), [x, .scalar(1), zero])
        XCTAssertEqual(q.integerValues, [0, 2, 2, 0, 127, -128])
        let u = AnyTensor.uint8(try Tensor(shape: [], elements: [128]))
        XCTAssertEqual(try run(.quantizeLinear(axis: 0), [x, .scalar(1), u]).integerValues, [128, 130, 130, 128, 255, 0])
        XCTAssertEqual(try run(.dequantizeLinear(axis: 0), [q, .scalar(0.5), zero]).floatValues, [0, 1, 1, 0, 63.5, -64])
    }
}
