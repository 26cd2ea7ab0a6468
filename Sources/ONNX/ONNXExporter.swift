import Graph
import SwiftProtobuf
import Tensors

/// Writes a ``Graph`` as an ONNX model, in standard operators only.
///
/// Fused convolutions are written back as Conv, Add and Relu; a quantized model is exported in its QDQ
/// form (``QuantizeLinear``/``DequantizeLinear`` around float operators, int8 weights per output channel
/// and int32 biases), which ONNX Runtime and TensorRT recognize and run in int8:
///
/// ```swift
/// let model = try Quantizer().quantize(graph, calibration: clips)
/// let bytes = try ONNXExporter.export(model.qdq)
/// try ONNXExporter.write(model.qdq, to: "model.int8.onnx")
/// ```
///
/// Q3D's integer operations (`Q3D.Int8Conv`, ...) have no ONNX form: export the QDQ graph they were
/// lowered from instead.
public enum ONNXExporter {
    /// The default opset: per-channel DequantizeLinear needs 13; 17 is what current PyTorch writes and
    /// what ONNX Runtime and TensorRT read everywhere.
    public static let defaultOpset = 17

    /// The opsets Q3D writes.
    public static let supportedOpsets: ClosedRange<Int> = 13...ONNXOperators.opsets.upperBound

    /// The serialized model.
    public static func export(_ graph: Graph, opset: Int = defaultOpset) throws(ONNXError) -> [UInt8] {
        let model = try modelProto(graph, opset: opset)
        do {
            let bytes: [UInt8] = try model.serializedBytes()
            return bytes
        } catch {
            throw .exportUnsupported(node: graph.name, op: "model", reason: "serialization failed: \(error)")
        }
    }

    /// Writes the serialized model to `path`.
    public static func write(_ graph: Graph, to path: String, opset: Int = defaultOpset) throws(ONNXError) {
        try FileIO.write(try export(graph, opset: opset), to: path)
    }

    static func modelProto(_ graph: Graph, opset: Int) throws(ONNXError) -> Onnx_ModelProto {
        guard supportedOpsets.contains(opset) else { throw .unsupportedOpset(version: opset, supported: supportedOpsets) }
        var writer = NodeWriter(graph: graph, opset: opset)
        for node in graph.nodes { try writer.write(node) }
        var g = Onnx_GraphProto()
        g.name = graph.name
        g.node = writer.nodes
        var initializers = graph.initializers
        for (name, value) in writer.extraInitializers { initializers[name] = value }
        g.initializer = initializers.sorted { $0.key < $1.key }.map { ONNXTensor.encode($0.value, name: $0.key) }
        g.input = graph.inputs.map(valueInfo)
        g.output = graph.outputs.map { valueInfo(ValueInfo($0.name, graph.types[$0.name] ?? $0.type)) }
        var model = Onnx_ModelProto()
        model.irVersion = irVersion(forOpset: opset)
        model.producerName = "Q3D"
        var set = Onnx_OperatorSetIdProto()
        set.domain = ""
        set.version = Int64(opset)
        model.opsetImport = [set]
        model.graph = g
        return model
    }

    /// The IR version ONNX's release table pairs with `opset` (onnx.helper.VERSION_TABLE).
    static func irVersion(forOpset opset: Int) -> Int64 {
        switch opset {
        case ...18: 8
        case 19...20: 9
        case 21...22: 10
        case 23: 11
        case 24: 12
        case 25...27: 13
        default: 14
        }
    }

    private static func valueInfo(_ v: ValueInfo) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = v.name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = ONNXTensor.elemType(v.type.dtype)
        var shape = Onnx_TensorShapeProto()
        shape.dim = v.type.shape.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch d {
            case .fixed(let x): dim.dimValue = Int64(x)
            case .symbolic(let s) where !s.isEmpty: dim.dimParam = s
            case .symbolic: break
            }
            return dim
        }
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        info.type = type
        return info
    }
}
