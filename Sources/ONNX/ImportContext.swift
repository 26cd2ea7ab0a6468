import Graph
import Tensors

/// What the importer knows while it converts nodes: the opset, the constants so far (initializers and
/// Constant nodes' outputs), and which values anything reads.
struct ImportContext {
    let opset: Int
    let baseDirectory: String?
    var constants: [String: AnyTensor] = [:]
    var used: Set<String> = []
    /// Shapes of values computed from constants by DequantizeLinear (a QDQ model's weights).
    var dequantizedShapes: [String: [Int]] = [:]

    init(opset: Int, baseDirectory: String?) {
        self.opset = opset
        self.baseDirectory = baseDirectory
    }

    enum Converted {
        case operation(Operation, inputs: [String])
        case constant(AnyTensor)
    }

    /// The node's outputs; optional extra outputs (BatchNormalization's running statistics,
    /// MaxPool's indices, Dropout's mask) must be unused, since Q3D does not compute them.
    func outputs(of node: Onnx_NodeProto, name: String) throws(ONNXError) -> [String] {
        guard let first = node.output.first, !first.isEmpty else {
            throw .invalidNode(node: name, op: node.opType, reason: "has no output")
        }
        for extra in node.output.dropFirst() where !extra.isEmpty && used.contains(extra) {
            throw .unsupportedUsage(node: name, op: node.opType, reason: "reading its optional output '\(extra)'")
        }
        return [first]
    }

    /// Input `i`'s name, or nil when absent.
    func input(_ node: Onnx_NodeProto, _ i: Int) -> String? {
        i < node.input.count && !node.input[i].isEmpty ? node.input[i] : nil
    }

    /// The constant tensor feeding input `i`, or nil when the input is absent; an input that is present
    /// but not constant is an error, since Q3D needs its value to fix the node's shape or meaning.
    func constantInput(_ node: Onnx_NodeProto, _ i: Int, name: String, role: String) throws(ONNXError) -> AnyTensor? {
        guard let input = input(node, i) else { return nil }
        guard let value = constants[input] else {
            throw .unsupportedUsage(node: name, op: node.opType, reason: "a computed \(role) ('\(input)'; Q3D needs it constant)")
        }
        return value
    }

    func integers(_ data: AnyTensor, node: Onnx_NodeProto, name: String, role: String) throws(ONNXError) -> [Int] {
        guard let values = data.integerValues, values.allSatisfy({ abs($0) <= ONNXTensor.maxDimension }) else {
            throw .invalidNode(node: name, op: node.opType, reason: "\(role) must hold integers within ±2^31")
        }
        return values
    }

    func scalar(_ data: AnyTensor, node: Onnx_NodeProto, name: String, role: String) throws(ONNXError) -> Float {
        let values = data.floatValues
        guard values.count == 1 else {
            throw .invalidNode(node: name, op: node.opType, reason: "\(role) has \(values.count) values; expected one")
        }
        return values[0]
    }
}
