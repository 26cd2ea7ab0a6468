/// Why a graph is not valid, or a pass could not transform it. Messages name the node and the values.
public enum GraphError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A node's inputs or attributes do not fit: "node 'conv3' (Conv): input has 6 channels, weight expects 8".
    case invalidNode(node: String, op: String, reason: String)
    /// A node reads a value no graph input, initializer or earlier node defines.
    case undefinedValue(node: String, op: String, value: String)
    /// Two definitions of one value name.
    case duplicateValue(value: String, node: String)
    /// A graph output that nothing defines.
    case undefinedOutput(value: String)
    /// Nodes that read each other's outputs in a cycle, or a node before the one defining its input.
    case cycle(nodes: [String])
    /// A graph output's declared type disagrees with the inferred one.
    case outputTypeMismatch(value: String, declared: String, inferred: String)
    /// An input value that the caller did not provide, or provided with the wrong type.
    case badInput(value: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidNode(node, op, reason):
            return "node '\(node)' (\(op)): \(reason)"
        case let .undefinedValue(node, op, value):
            return "node '\(node)' (\(op)): input '\(value)' is not a graph input, an initializer or the output of an earlier node"
        case let .duplicateValue(value, node):
            return "value '\(value)' is defined twice (again by node '\(node)')"
        case .undefinedOutput(let value):
            return "graph output '\(value)' is not produced by any node, input or initializer"
        case .cycle(let nodes):
            return "nodes \(nodes.map { "'\($0)'" }.joined(separator: ", ")) depend on each other in a cycle"
        case let .outputTypeMismatch(value, declared, inferred):
            return "graph output '\(value)' is declared \(declared) but computes \(inferred)"
        case let .badInput(value, reason):
            return "input '\(value)': \(reason)"
        }
    }

    /// Shorthand for ``invalidNode(node:op:reason:)`` from a node.
    public static func invalid(_ node: Node, _ reason: String) -> GraphError {
        .invalidNode(node: node.name, op: node.operation.typeName, reason: reason)
    }
}
