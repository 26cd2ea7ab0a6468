import ConvGeometry
import Foundation
import Graph
import Quantization
import Tensors
import XCTest

/// Small random models built in Swift, and helpers shared by the quantization tests.
enum TestModels {
    static func random(_ shape: [Int], scale: Float = 1, _ rng: inout SeededGenerator) -> AnyTensor {
        // The seed is fixed by each test and printed in its failure messages.
        .float32((try? Tensor<Float>.randomNonZero(shape: shape, in: -scale...scale, using: &rng)) ?? (try! Tensor(shape: [0], elements: [])))
    }

    /// A small residual 3D CNN: stem conv + BN + ReLU, max pool, a (2+1)D block with a residual add,
    /// global average pool, flatten and Gemm — the shapes of the quantizer's real work, at toy size.
    static func residual3D(seed: UInt64) throws -> Graph {
        var rng = SeededGenerator(seed: seed)
        var b = GraphBuilder(name: "residual3d")
        let x = b.input("x", [.symbolic("N"), 3, 4, 8, 8])
        b.constant("stem.w", random([8, 3, 3, 3, 3], scale: 0.3, &rng))
        for (name, offset) in [("g", 1.0), ("be", 0.0), ("m", 0.0), ("v", 1.5)] as [(String, Float)] {
            var t = random([8], scale: 0.2, &rng).float32Tensor!
            t.elements = t.elements.map { name == "v" ? abs($0) + offset : $0 + offset }
            b.constant("stem.\(name)", .float32(t))
        }
        var h = b.conv(x, weight: "stem.w", kernel: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1], name: "stem")
        h = b.batchNormalization(h, scale: "stem.g", bias: "stem.be", mean: "stem.m", variance: "stem.v", name: "stem.bn")
        h = b.relu(h, name: "stem.relu")
        let skip = b.maxPool(h, kernel: [1, 2, 2], strides: [1, 2, 2], name: "pool")
        b.constant("s.w", random([8, 8, 1, 3, 3], scale: 0.2, &rng))
        b.constant("s.b", random([8], scale: 0.1, &rng))
        h = b.relu(b.conv(skip, weight: "s.w", bias: "s.b", kernel: [1, 3, 3], pads: [0, 1, 1, 0, 1, 1], name: "spatial"), name: "spatial.relu")
        b.constant("t.w", random([8, 8, 3, 1, 1], scale: 0.2, &rng))
        h = b.conv(h, weight: "t.w", kernel: [3, 1, 1], pads: [1, 0, 0, 1, 0, 0], name: "temporal")
        h = b.relu(b.add(h, skip, name: "residual"), name: "out.relu")
        h = b.flatten(b.globalAveragePool(h, name: "gap"), name: "flatten")
        b.constant("fc.w", random([5, 8], scale: 0.5, &rng))
        b.constant("fc.b", random([5], scale: 0.1, &rng))
        b.output(b.gemm(h, "fc.w", "fc.b", transB: true, name: "fc"))
        return try b.build()
    }

    static func batches(count: Int, shape: [Int], seed: UInt64) -> [AnyTensor] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in random(shape, &rng) }
    }

    static func sqnr(_ reference: [Float], _ x: [Float]) -> Double {
        let signal = reference.reduce(0.0) { $0 + Double($1) * Double($1) }
        let noise = zip(reference, x).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        return noise == 0 ? .infinity : 10 * log10(signal / noise)
    }
}
