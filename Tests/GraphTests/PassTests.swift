import Graph
import Tensors
import XCTest

final class PassTests: XCTestCase {
    let seed: UInt64 = 0x6A55

    func random(_ shape: [Int], _ rng: inout SeededGenerator) throws -> AnyTensor {
        .float32(try Tensor<Float>.randomNonZero(shape: shape, using: &rng))
    }

    func convBN() throws -> Graph {
        var rng = SeededGenerator(seed: seed)
        var b = GraphBuilder(name: "convbn")
        let x = b.input("x", [1, 2, 4, 4, 4])
        b.constant("w", try random([3, 2, 1, 3, 3], &rng))
        b.constant("b", try random([3], &rng))
        for p in ["g", "be", "m"] { b.constant(p, try random([3], &rng)) }
        b.constant("v", .vector([0.5, 1.5, 2.5]))
        let c = b.conv(x, weight: "w", bias: "b", kernel: [1, 3, 3], pads: [0, 1, 1, 0, 1, 1], name: "conv")
        let n = b.batchNormalization(c, scale: "g", bias: "be", mean: "m", variance: "v", name: "bn")
        b.output(b.identity(b.relu(n, name: "relu"), name: "id"))
        return try b.build()
    }

    func testFoldBatchNormWritesTheFoldedParameters() throws {
        let folded = try FoldBatchNorm().apply(to: try convBN())
        XCTAssertEqual(folded.nodes.map(\.name), ["conv", "relu", "id"], "seed \(seed)")
        let conv = try XCTUnwrap(folded.nodes.first)
        let w0 = try convBN().initializers["w"]!.floatValues
        let g = try convBN().initializers["g"]!.floatValues
        let w1 = folded.initializers[conv.inputs[1]]!.floatValues
        XCTAssertEqual(w1[0], w0[0] * g[0] / (0.5 + 1e-5).squareRoot(), accuracy: 1e-5, "seed \(seed)")
        XCTAssertEqual(conv.outputs, ["bn"])
    }

    func testIdentityAndActivationFusionKeepOutputNames() throws {
        let g = try convBN().applying([EliminateIdentity(), FoldBatchNorm(), FuseConvActivation()])
        XCTAssertEqual(g.nodes.count, 1)
        XCTAssertEqual(g.nodes[0].outputs, ["id"])
        XCTAssertEqual(g.outputs.map(\.name), ["id"])
        guard case .conv(let a) = g.nodes[0].operation else { return XCTFail("\(g)") }
        XCTAssertEqual(a.activation, .relu)
    }

    func testFoldConstantsUsesTheGivenEvaluatorAndKeepsQDQ() throws {
        var b = GraphBuilder(name: "fold")
        let x = b.input("x", [2, 3])
        b.constant("c", .vector([1, 2, 3]))
        b.constant("s", .scalar(0.5))
        b.constant("z", .int8(try Tensor(shape: [], elements: [0])))
        let doubled = b.add("c", "c", name: "double")
        let q = b.quantize("c", scale: "s", zeroPoint: "z", name: "q")
        let dq = b.dequantize(q, scale: "s", zeroPoint: "z", name: "dq")
        b.output(b.add(b.add(x, doubled), dq))
        let folded = try FoldConstants { node, inputs in
            XCTAssertEqual(node.name, "double")
            return [.vector(inputs[0]!.floatValues.map { $0 * 2 })]
        }.apply(to: try b.build())
        XCTAssertEqual(folded.initializers["double"]?.floatValues, [2, 4, 6])
        XCTAssertEqual(folded.nodes.map(\.name), ["q", "dq", "add1", "add2"])
    }
}
