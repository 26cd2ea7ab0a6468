import Graph

/// Why an ONNX model could not be read, imported or exported. Messages name the node, the value or the
/// file at fault.
public enum ONNXError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read or written.
    case io(path: String, reason: String)
    /// The bytes are not a valid ONNX protobuf (a corrupt or truncated file).
    case corrupt(reason: String)
    /// The model imports an opset of the default domain Q3D does not understand.
    case unsupportedOpset(version: Int, supported: ClosedRange<Int>)
    /// A node whose operator Q3D does not implement.
    case unsupportedOperator(node: String, op: String, domain: String, supported: [String])
    /// A supported operator used with an attribute value or input Q3D does not implement.
    case unsupportedUsage(node: String, op: String, reason: String)
    /// A node whose attributes or inputs are malformed.
    case invalidNode(node: String, op: String, reason: String)
    /// An initializer or constant tensor that cannot be decoded.
    case invalidTensor(name: String, reason: String)
    /// The model's graph is well-formed protobuf but not a valid graph.
    case invalidGraph(GraphError)
    /// A graph Q3D cannot write as ONNX.
    case exportUnsupported(node: String, op: String, reason: String)

    public var description: String {
        switch self {
        case let .io(path, reason):
            return "\(path): \(reason)"
        case .corrupt(let reason):
            return "not a valid ONNX model (corrupt or truncated file): \(reason)"
        case let .unsupportedOpset(version, supported):
            return "the model uses ONNX opset \(version); Q3D supports opsets \(supported.lowerBound) through \(supported.upperBound)"
        case let .unsupportedOperator(node, op, domain, supported):
            let d = domain.isEmpty || domain == "ai.onnx" ? "" : " of domain '\(domain)'"
            return "node '\(node)': operator \(op)\(d) is not supported; Q3D supports \(supported.joined(separator: ", "))"
        case let .unsupportedUsage(node, op, reason):
            return "node '\(node)' (\(op)): \(reason) is not supported"
        case let .invalidNode(node, op, reason):
            return "node '\(node)' (\(op)): \(reason)"
        case let .invalidTensor(name, reason):
            return "tensor '\(name)': \(reason)"
        case .invalidGraph(let error):
            return error.description
        case let .exportUnsupported(node, op, reason):
            return "node '\(node)' (\(op)) cannot be exported to ONNX: \(reason)"
        }
    }
}
