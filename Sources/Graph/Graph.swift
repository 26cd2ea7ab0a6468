import Tensors

/// A model for inference: typed inputs and outputs, constant initializers, and nodes in topological
/// order, each named after the ONNX node it came from.
///
/// Values are named, as in ONNX: a node reads values by name and defines new ones. ``types`` holds the
/// inferred type of every value once ``inferTypes()`` has run (``GraphBuilder/build()`` and the ONNX
/// importer both run it, so graphs handed to users are always typed and verified).
///
/// ```swift
/// let graph = try ONNXImporter.load(path: "model.onnx")
/// print(graph)                       // one line per node, with types
/// graph.types["conv1_out"]           // float32[N, 16, 16, 12, 12]
/// ```
public struct Graph: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    public var nodes: [Node]
    public var initializers: [String: AnyTensor]
    /// The type of every value: inputs, initializers and node outputs.
    public var types: [String: TensorType]

    public init(
        name: String, inputs: [ValueInfo], outputs: [ValueInfo], nodes: [Node],
        initializers: [String: AnyTensor] = [:]
    ) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.initializers = initializers
        self.types = [:]
    }

    /// The index of the node that defines each value computed by a node.
    public var producers: [String: Int] {
        var result: [String: Int] = [:]
        for (i, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty { result[output] = i }
        }
        return result
    }

    /// The indices of the nodes that read each value, in order.
    public var consumers: [String: [Int]] {
        var result: [String: [Int]] = [:]
        for (i, node) in nodes.enumerated() {
            for input in node.inputs where !input.isEmpty { result[input, default: []].append(i) }
        }
        return result
    }

    /// The names of the graph's outputs.
    public var outputNames: Set<String> { Set(outputs.map(\.name)) }

    /// A value name not yet used in the graph, built from `base`.
    public func uniqueName(_ base: String) -> String {
        var taken = Set(types.keys)
        taken.formUnion(initializers.keys)
        for node in nodes { taken.formUnion(node.outputs); taken.insert(node.name) }
        if !taken.contains(base) { return base }
        var i = 1
        while taken.contains("\(base)_\(i)") { i += 1 }
        return "\(base)_\(i)"
    }

    public var description: String {
        var lines = ["graph \(name)"]
        for input in inputs { lines.append("  input \(input)") }
        for (name, data) in initializers.sorted(by: { $0.key < $1.key }) {
            lines.append("  initializer \(name): \(data.type)")
        }
        for node in nodes {
            let types = node.outputs.map { self.types[$0].map(\.description) ?? "?" }
            lines.append("  \(node)  -> \(types.joined(separator: ", "))")
        }
        for output in outputs { lines.append("  output \(output)") }
        return lines.joined(separator: "\n")
    }
}
