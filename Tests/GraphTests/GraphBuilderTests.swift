import Graph
import Tensors
import XCTest

final class GraphBuilderTests: XCTestCase {
    func weight(_ shape: [Int]) throws -> AnyTensor { .float32(try Tensor(shape: shape, repeating: 0.5)) }

    func testBuilderInfersShapesThroughA3DNetwork() throws {
        var b = GraphBuilder(name: "net")
        let x = b.input("x", [.symbolic("N"), 3, 16, 24, 24])
        b.constant("w", try weight([16, 3, 3, 3, 3]))
        var h = b.conv(x, weight: "w", kernel: [3, 3, 3], strides: [1, 2, 2], pads: [1, 1, 1, 1, 1, 1], name: "stem")
        h = b.maxPool(b.relu(h), kernel: [1, 3, 3], strides: [1, 2, 2], pads: [0, 1, 1, 0, 1, 1], ceilMode: true)
        h = b.flatten(b.globalAveragePool(h))
        b.output(h)
        let g = try b.build()
        XCTAssertEqual(g.types["stem"], TensorType(.float32, [.symbolic("N"), 16, 16, 12, 12]))
        // ceil((12 + 2 - 3) / 2) + 1 = 7, and the last window starts inside the input.
        XCTAssertEqual(g.types["maxPool1"]?.shape, [.symbolic("N"), 16, 16, 7, 7])
        XCTAssertEqual(g.outputs[0].type.shape, [.symbolic("N"), 16])
        XCTAssertTrue(g.description.contains("Conv[stem](x, w)"), g.description)
    }

    func testChannelMismatchNamesTheNodeAndTheCounts() throws {
        var b = GraphBuilder(name: "bad")
        let x = b.input("x", [1, 6, 4, 4, 4])
        b.constant("w", try weight([4, 8, 3, 3, 3]))
        b.output(b.conv(x, weight: "w", kernel: [3, 3, 3], name: "conv3"))
        XCTAssertThrowsError(try b.build()) { error in
            XCTAssertEqual("\(error)", "node 'conv3' (Conv): input has 6 channels, weight expects 8 (8 per group, 1 group)")
        }
    }

    func testUndefinedInputAndDuplicateDefinitionsAreNamed() throws {
        var b = GraphBuilder(name: "bad")
        _ = b.input("x", [2, 3])
        b.output(b.relu("y", name: "r"))
        XCTAssertThrowsError(try b.build()) { error in
            XCTAssertEqual(error as? GraphError, .undefinedValue(node: "r", op: "Relu", value: "y"))
        }
        var g = Graph(
            name: "dup", inputs: [ValueInfo("x", TensorType(.float32, [2]))], outputs: [],
            nodes: [Node(name: "a", .relu, inputs: ["x"], outputs: ["x"])])
        XCTAssertThrowsError(try g.inferTypes()) { XCTAssertEqual($0 as? GraphError, .duplicateValue(value: "x", node: "a")) }
    }

    func testTopologicalSortKeepsOrderAndFindsCycles() throws {
        let x = ValueInfo("x", TensorType(.float32, [2]))
        var g = Graph(name: "g", inputs: [x], outputs: [ValueInfo("c", TensorType(.float32, []))], nodes: [
            Node(name: "c", .relu, inputs: ["b"], outputs: ["c"]),
            Node(name: "a", .relu, inputs: ["x"], outputs: ["a"]),
            Node(name: "b", .relu, inputs: ["a"], outputs: ["b"]),
        ])
        try g.sortTopologically()
        XCTAssertEqual(g.nodes.map(\.name), ["a", "b", "c"])
        try g.inferTypes()
        XCTAssertEqual(g.outputs[0].type.shape, [2])
        var cyclic = Graph(name: "g", inputs: [x], outputs: [], nodes: [
            Node(name: "p", .add, inputs: ["x", "q"], outputs: ["p"]),
            Node(name: "q", .relu, inputs: ["p"], outputs: ["q"]),
        ])
        XCTAssertThrowsError(try cyclic.sortTopologically()) { XCTAssertEqual($0 as? GraphError, .cycle(nodes: ["p", "q"])) }
    }

    func testShapeRulesOfEveryOperation() throws {
        func out(_ op: Operator, _ inputs: [TensorType?]) throws -> [ShapeDimension] {
            try Node(name: "n", op, inputs: inputs.indices.map { "i\($0)" }, outputs: ["o"]).outputTypes(inputs)[0].shape
        }
        let f = { (s: [ShapeDimension]) in TensorType(.float32, s) }
        XCTAssertEqual(try out(.add, [f([2, 1, 5]), f([3, 1])]), [2, 3, 5])
        XCTAssertEqual(try out(.matMul, [f([4, 2, 3]), f([3, 7])]), [4, 2, 7])
        XCTAssertEqual(try out(.gemm(GemmAttributes(transB: true)), [f([2, 8]), f([5, 8]), f([5])]), [2, 5])
        XCTAssertEqual(try out(.reshape(shape: [0, -1], allowZero: false), [f([2, 3, 4])]), [2, 12])
        XCTAssertEqual(try out(.flatten(axis: 2), [f([2, 3, 4, 5])]), [6, 20])
        XCTAssertEqual(try out(.transpose(perm: []), [f([2, 3, 4])]), [4, 3, 2])
        XCTAssertEqual(try out(.concat(axis: -1), [f([2, 3]), f([2, 4])]), [2, 7])
        XCTAssertEqual(try out(.pad(pads: [0, 1, 0, 2], value: 0), [f([2, 3])]), [2, 6])
        XCTAssertEqual(try out(.reduceMean(axes: [2, 3, 4], keepDims: false), [f([2, 3, 4, 5, 6])]), [2, 3])
        XCTAssertEqual(try out(.globalAveragePool, [f([2, 3, 4, 5, 6])]), [2, 3, 1, 1, 1])
        let avg = PoolAttributes(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceilMode: true)
        XCTAssertEqual(try out(.averagePool(avg), [f([1, 1, 6, 6])]), [1, 1, 4, 4])
        XCTAssertEqual(try out(.conv(ConvAttributes(kernel: [3], autoPad: .sameUpper)), [f([1, 2, 9]), f([4, 2, 3])]), [1, 4, 9])
        XCTAssertThrowsError(try out(.add, [f([2, 3]), f([4])])) {
            XCTAssertEqual("\($0)", "node 'n' (Add): shapes [2, 3] and [4] do not broadcast")
        }
        XCTAssertThrowsError(try out(.reshape(shape: [5, -1], allowZero: false), [f([2, 3])])) {
            XCTAssertTrue("\($0)".contains("cannot reshape [2, 3]"), "\($0)")
        }
    }
}
