import Graph

/// Why a graph could not run on the CPU.
public enum ExecutionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A graph input the caller did not provide.
    case missingInput(String)
    /// A provided input that does not fit the graph's declared input.
    case inputMismatch(name: String, expected: String, actual: String)
    /// The graph is not valid for the shapes it was given.
    case graph(GraphError)
    /// A node could not compute its output.
    case node(node: String, op: String, reason: String)

    public var description: String {
        switch self {
        case .missingInput(let name):
            return "input '\(name)' was not provided"
        case let .inputMismatch(name, expected, actual):
            return "input '\(name)' is \(actual); the graph expects \(expected)"
        case .graph(let error):
            return error.description
        case let .node(node, op, reason):
            return "node '\(node)' (\(op)): \(reason)"
        }
    }

    static func at(_ node: Node, _ reason: String) -> ExecutionError {
        .node(node: node.name, op: node.operation.typeName, reason: reason)
    }
}
