import FoundationEssentials
import Graph
import SwiftProtobuf
import Tensors

/// Reads an ONNX model into a verified, typed ``Graph``.
///
/// ```swift
/// let graph = try ONNXImporter.load(path: "Tests/Fixtures/motion3d/motion3d.onnx")
/// graph.inputs    // [clip: float32[N, 3, 16, 24, 24]]
/// ```
///
/// Supported: the operators of ``supportedOperators`` in opsets 11 through 28 of the default domain;
/// initializers in raw bytes, typed fields or external data files (next to the model); Constant nodes;
/// Dropout and Identity (removed by ``EliminateIdentity``). Everything else is an ``ONNXError`` naming
/// the node; a corrupt or truncated file is an error, never a crash.
public enum ONNXImporter {
    /// The operator types Q3D imports.
    public static var supportedOperators: [String] { ONNXOperators.supported }

    /// The opsets of the default ONNX domain Q3D imports.
    public static var supportedOpsets: ClosedRange<Int> { ONNXOperators.opsets }

    /// Reads the model at `path`; external data files are looked up next to it.
    public static func load(path: String) throws(ONNXError) -> Graph {
        let data = try FileIO.read(path)
        return try load(data: data, baseDirectory: FileIO.directory(of: path))
    }

    /// Reads a model from its serialized bytes. Models with external data need `baseDirectory`.
    public static func load(bytes: [UInt8], baseDirectory: String? = nil) throws(ONNXError) -> Graph {
        try load(data: Data(bytes), baseDirectory: baseDirectory)
    }

    static func load(data: Data, baseDirectory: String?) throws(ONNXError) -> Graph {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw .corrupt(reason: "\(error)")
        }
        return try importModel(model, baseDirectory: baseDirectory)
    }

    static func importModel(_ model: Onnx_ModelProto, baseDirectory: String?) throws(ONNXError) -> Graph {
        guard model.hasGraph else { throw .corrupt(reason: "the model has no graph") }
        let defaults = model.opsetImport.filter { ONNXOperators.isDefaultDomain($0.domain) }
        guard let opset = defaults.map(\.version).max() else {
            throw .corrupt(reason: "the model imports no opset of the default ONNX domain")
        }
        guard ONNXOperators.opsets.contains(Int(clamping: opset)) else {
            throw .unsupportedOpset(version: Int(clamping: opset), supported: ONNXOperators.opsets)
        }
        let proto = model.graph
        guard proto.sparseInitializer.isEmpty else {
            throw .invalidTensor(name: proto.sparseInitializer[0].values.name, reason: "sparse initializers are not supported")
        }
        var context = ImportContext(opset: Int(opset), baseDirectory: baseDirectory)
        for t in proto.initializer {
            guard !t.name.isEmpty else { throw .invalidTensor(name: "", reason: "an initializer has no name") }
            context.constants[t.name] = try ONNXTensor.decode(t, baseDirectory: baseDirectory)
        }
        context.used = Set(proto.node.flatMap(\.input)).union(proto.output.map(\.name))
        let initializerNames = Set(context.constants.keys)
        var inputs: [ValueInfo] = []
        for v in proto.input where !initializerNames.contains(v.name) {
            inputs.append(try valueInfo(v, role: "graph input"))
        }
        var outputs: [ValueInfo] = []
        for v in proto.output { outputs.append(try valueInfo(v, role: "graph output", typeOptional: true)) }

        var nodes: [Node] = []
        var nodeNames = Set<String>()
        for (index, n) in proto.node.enumerated() {
            var name = n.name.isEmpty ? "\(n.opType)_\(index)" : n.name
            while nodeNames.contains(name) { name += "_\(index)" }
            nodeNames.insert(name)
            guard ONNXOperators.isDefaultDomain(n.domain), let version = ONNXOperators.version(of: n.opType, opset: context.opset) else {
                throw .unsupportedOperator(node: name, op: n.opType, domain: n.domain, supported: ONNXOperators.supported)
            }
            switch try context.convert(n, name: name, version: version) {
            case .constant(let value):
                guard n.output.count == 1, !n.output[0].isEmpty else {
                    throw .invalidNode(node: name, op: n.opType, reason: "Constant must have one named output")
                }
                context.constants[n.output[0]] = value
            case let .operation(operation, inputs):
                nodes.append(Node(name: name, operation, inputs: inputs, outputs: try context.outputs(of: n, name: name)))
            }
        }
        var graph = Graph(
            name: proto.name.isEmpty ? "model" : proto.name, inputs: inputs, outputs: outputs, nodes: nodes,
            initializers: context.constants)
        do {
            try graph.sortTopologically()
            graph.removeUnusedNodes()
            try graph.inferTypes()
        } catch {
            throw .invalidGraph(error)
        }
        return graph
    }

    private static func valueInfo(_ v: Onnx_ValueInfoProto, role: String, typeOptional: Bool = false) throws(ONNXError) -> ValueInfo {
        guard !v.name.isEmpty else { throw .corrupt(reason: "a \(role) has no name") }
        guard v.hasType, case .tensorType(let t)? = v.type.value else {
            if typeOptional { return ValueInfo(v.name, TensorType(.float32, [])) }
            throw .corrupt(reason: "\(role) '\(v.name)' is not a tensor")
        }
        guard let dtype = ONNXTensor.dtype(t.elemType) else {
            if typeOptional && !t.hasElemType { return ValueInfo(v.name, TensorType(.float32, [])) }
            throw .invalidTensor(name: v.name, reason: "\(role) element type \(t.elemType) is not supported")
        }
        var shape: [ShapeDimension] = []
        for d in t.shape.dim {
            switch d.value {
            case .dimValue(let x)?:
                guard x >= 0, x <= Int64(ONNXTensor.maxDimension) else {
                    throw .invalidTensor(name: v.name, reason: "\(role) dimension \(x) is out of range")
                }
                shape.append(.fixed(Int(x)))
            case .dimParam(let p)?: shape.append(.symbolic(p))
            case nil: shape.append(.unknown)
            }
        }
        return ValueInfo(v.name, TensorType(dtype, shape))
    }
}
