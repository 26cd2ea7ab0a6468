import Graph
import Tensors

/// Runs a graph on the CPU, node by node: float graphs, QDQ graphs (Q and DQ computed as ONNX defines
/// them, float operators in between) and Q3D's lowered int8 graphs (int8 convolutions with the exact
/// ``Epilogue`` arithmetic the GPU kernels share).
///
/// ```swift
/// let graph = try ONNXImporter.load(path: "model.onnx")
/// let executor = try CPUExecutor(graph)
/// let outputs = try executor.run(["clip": .float32(clips)])
/// let logits = outputs["logits"]
/// ```
///
/// `observe`, when given, sees every value as it is computed (calibration and the accuracy report use
/// it). Values are released after their last reader, so memory stays near the largest few activations.
public struct CPUExecutor: Sendable {
    public let graph: Graph
    /// For each node, the values whose last reader it is.
    private let releases: [[String]]

    /// Verifies `graph` (types are inferred again, so a hand-edited graph is checked too).
    public init(_ graph: Graph) throws(ExecutionError) {
        do {
            self.graph = try graph.verified()
        } catch {
            throw .graph(error)
        }
        let outputs = self.graph.outputNames
        var last: [String: Int] = [:]
        for (i, node) in self.graph.nodes.enumerated() {
            for input in node.inputs where !input.isEmpty { last[input] = i }
        }
        var releases = Array(repeating: [String](), count: self.graph.nodes.count)
        for (value, i) in last where !outputs.contains(value) && self.graph.initializers[value] == nil {
            releases[i].append(value)
        }
        self.releases = releases
    }

    /// Runs the graph on `feeds` (one tensor per graph input) and returns the graph outputs by name.
    public func run(
        _ feeds: [String: AnyTensor], observe: ((String, AnyTensor) -> Void)? = nil
    ) throws(ExecutionError) -> [String: AnyTensor] {
        var values = try bind(feeds)
        for (i, node) in graph.nodes.enumerated() {
            var inputs: [AnyTensor?] = []
            for name in node.inputs {
                if name.isEmpty { inputs.append(nil); continue }
                guard let v = values[name] ?? graph.initializers[name] else {
                    throw .at(node, "input '\(name)' has no value")
                }
                inputs.append(v)
            }
            let results = try NodeKernels.evaluate(node, inputs)
            for (name, value) in zip(node.outputs, results) {
                values[name] = value
                observe?(name, value)
            }
            for name in releases[i] { values[name] = nil }
        }
        var outputs: [String: AnyTensor] = [:]
        for output in graph.outputs {
            guard let v = values[output.name] ?? graph.initializers[output.name] else { throw .missingInput(output.name) }
            outputs[output.name] = v
        }
        return outputs
    }

    /// Runs a graph of one input and one output.
    public func run(_ input: AnyTensor) throws(ExecutionError) -> AnyTensor {
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw .inputMismatch(
                name: graph.inputs.map(\.name).joined(separator: ", "), expected: "one input and one output",
                actual: "\(graph.inputs.count) inputs and \(graph.outputs.count) outputs")
        }
        let out = try run([graph.inputs[0].name: input])
        guard let y = out[graph.outputs[0].name] else { throw .missingInput(graph.outputs[0].name) }
        return y
    }

    /// Computes one node from its inputs: the evaluator ``FoldConstants`` uses.
    public static func evaluate(_ node: Node, _ inputs: [AnyTensor?]) throws -> [AnyTensor] {
        try NodeKernels.evaluate(node, inputs)
    }

    /// Checks each feed against its declared input: element type, rank, fixed sizes, and one size per
    /// symbolic dimension across all inputs.
    private func bind(_ feeds: [String: AnyTensor]) throws(ExecutionError) -> [String: AnyTensor] {
        var symbols: [String: Int] = [:]
        var values: [String: AnyTensor] = [:]
        for input in graph.inputs {
            guard let feed = feeds[input.name] else { throw .missingInput(input.name) }
            let declared = input.type
            let mismatch = ExecutionError.inputMismatch(name: input.name, expected: declared.description, actual: feed.type.description)
            guard feed.dtype == declared.dtype, feed.shape.count == declared.rank else { throw mismatch }
            for (d, size) in zip(declared.shape, feed.shape) {
                switch d {
                case .fixed(let v): guard v == size else { throw mismatch }
                case .symbolic(let s) where !s.isEmpty:
                    if let bound = symbols[s], bound != size { throw mismatch }
                    symbols[s] = size
                case .symbolic: break
                }
            }
            values[input.name] = feed
        }
        return values
    }
}
