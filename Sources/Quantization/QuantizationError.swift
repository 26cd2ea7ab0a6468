import Graph

/// Why a model could not be quantized or measured.
public enum QuantizationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A skip-list name that is no node of the graph.
    case unknownLayer(name: String, convolutions: [String])
    /// Calibration needs at least one batch.
    case noCalibrationData
    /// A calibration or evaluation batch that does not fit the graph's input.
    case badBatch(index: Int, reason: String)
    /// A graph or execution failure while quantizing.
    case graph(GraphError)
    case execution(ExecutionError)
    /// A QDQ pattern whose parameters Q3D cannot realize.
    case invalidParameters(node: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownLayer(name, convolutions):
            return "no node is named '\(name)'; the convolutions are \(convolutions.map { "'\($0)'" }.joined(separator: ", "))"
        case .noCalibrationData:
            return "calibration needs at least one batch of inputs"
        case let .badBatch(index, reason):
            return "batch \(index): \(reason)"
        case .graph(let e):
            return e.description
        case .execution(let e):
            return e.description
        case let .invalidParameters(node, reason):
            return "node '\(node)': \(reason)"
        }
    }
}
