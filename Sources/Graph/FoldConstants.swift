import Tensors

/// Computes, once, every node whose inputs are all constants, and keeps its outputs as initializers:
/// the shape arithmetic and weight transposes that exporters leave behind.
///
/// Graph has no kernels of its own, so the caller supplies them: the quantizer passes the CPU
/// executor's `evaluate`. QuantizeLinear and DequantizeLinear are never folded: in a QDQ model they
/// carry the int8 weights and their scales, which must stay visible to the lowering.
public struct FoldConstants: GraphPass {
    /// Computes one node's outputs from its inputs (nil for absent optional inputs).
    public typealias Evaluator = @Sendable (Node, [AnyTensor?]) throws -> [AnyTensor]

    private let evaluate: Evaluator

    public init(evaluate: @escaping Evaluator) {
        self.evaluate = evaluate
    }

    public var name: String { "fold-constants" }

    public func apply(to graph: Graph) throws(GraphError) -> Graph {
        var g = graph
        let outputs = g.outputNames
        var kept: [Node] = []
        for node in g.nodes {
            switch node.operation {
            case .quantizeLinear, .dequantizeLinear: kept.append(node); continue
            default: break
            }
            let inputs = node.inputs.map { $0.isEmpty ? nil : g.initializers[$0] }
            let allConstant = zip(node.inputs, inputs).allSatisfy { $0.0.isEmpty || $0.1 != nil }
            guard allConstant, !node.inputs.isEmpty, !node.outputs.contains(where: outputs.contains) else {
                kept.append(node)
                continue
            }
            let results: [AnyTensor]
            do {
                results = try evaluate(node, inputs)
            } catch {
                throw .invalid(node, "could not be computed from its constant inputs: \(error)")
            }
            guard results.count == node.outputs.count else {
                throw .invalid(node, "computed \(results.count) outputs for \(node.outputs.count) names")
            }
            for (name, value) in zip(node.outputs, results) { g.initializers[name] = value }
        }
        g.nodes = kept
        g.removeUnusedNodes()
        try g.inferTypes()
        return g
    }
}
