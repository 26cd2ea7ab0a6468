import FoundationEssentials
import Graph
import Tensors

/// Turns Q3D's nodes into ONNX nodes of one opset, adding the constant inputs ONNX wants as tensors
/// (Reshape's shape, Clip's bounds, Pad's pads, ReduceMean's axes from opset 18).
struct NodeWriter {
    let graph: Graph
    let opset: Int
    var nodes: [Onnx_NodeProto] = []
    var extraInitializers: [String: AnyTensor] = [:]

    init(graph: Graph, opset: Int) {
        self.graph = graph
        self.opset = opset
    }

    mutating func write(_ node: Node) throws(ONNXError) {
        let x = node.inputs.first ?? ""
        let y = node.outputs.first ?? ""
        switch node.operation {
        case .conv(let a):
            var attributes = spatial(kernel: a.kernel, strides: a.strides, dilations: a.dilations, pads: a.pads, autoPad: a.autoPad)
            attributes.append(int("group", a.groups))
            let convInputs = Array(node.inputs.prefix(3)).reversed().drop { $0.isEmpty }.reversed()
            var last = a.hasResidual || a.activation == .relu ? "\(node.name)__conv" : y
            emit("Conv", node.name, Array(convInputs), [last], attributes)
            if a.hasResidual, let r = node.input(3) {
                let sum = a.activation == .relu ? "\(node.name)__sum" : y
                emit("Add", "\(node.name)__residual", [last, r], [sum])
                last = sum
            }
            if a.activation == .relu { emit("Relu", "\(node.name)__relu", [last], [y]) }
        case .batchNormalization(let epsilon):
            emit("BatchNormalization", node.name, node.inputs, [y], [float("epsilon", epsilon)])
        case .relu: emit("Relu", node.name, [x], [y])
        case .sigmoid: emit("Sigmoid", node.name, [x], [y])
        case .identity: emit("Identity", node.name, [x], [y])
        case .add: emit("Add", node.name, node.inputs, [y])
        case .mul: emit("Mul", node.name, node.inputs, [y])
        case .matMul: emit("MatMul", node.name, node.inputs, [y])
        case let .clip(low, high):
            let lo = low.isFinite ? constant("\(node.name)__min", .scalar(low)) : ""
            let hi = high.isFinite ? constant("\(node.name)__max", .scalar(high)) : ""
            emit("Clip", node.name, hi.isEmpty ? (lo.isEmpty ? [x] : [x, lo]) : [x, lo, hi], [y])
        case .maxPool(let p), .averagePool(let p):
            let isMax = if case .maxPool = node.operation { true } else { false }
            var attributes = spatial(kernel: p.kernel, strides: p.strides, dilations: p.dilations, pads: p.pads, autoPad: p.autoPad)
            if !isMax && opset < 19 {
                guard p.dilations.allSatisfy({ $0 == 1 }) else {
                    throw .exportUnsupported(node: node.name, op: node.operation.typeName, reason: "AveragePool dilations need opset 19 or later")
                }
                attributes.removeAll { $0.name == "dilations" }
            }
            if p.ceilMode { attributes.append(int("ceil_mode", 1)) }
            if !isMax && p.countIncludePad { attributes.append(int("count_include_pad", 1)) }
            emit(isMax ? "MaxPool" : "AveragePool", node.name, [x], [y], attributes)
        case .globalAveragePool: emit("GlobalAveragePool", node.name, [x], [y])
        case let .reduceMean(axes, keepDims):
            if opset >= 18 {
                let inputs = axes.isEmpty ? [x] : [x, constant("\(node.name)__axes", int64s(axes))]
                emit("ReduceMean", node.name, inputs, [y], [int("keepdims", keepDims ? 1 : 0)])
            } else {
                var attributes = [int("keepdims", keepDims ? 1 : 0)]
                if !axes.isEmpty { attributes.append(ints("axes", axes)) }
                emit("ReduceMean", node.name, [x], [y], attributes)
            }
        case .flatten(let axis): emit("Flatten", node.name, [x], [y], [int("axis", axis)])
        case let .reshape(shape, allowZero):
            let s = constant("\(node.name)__shape", int64s(shape))
            emit("Reshape", node.name, [x, s], [y], allowZero && opset >= 14 ? [int("allowzero", 1)] : [])
        case .gemm(let g):
            emit("Gemm", node.name, node.inputs, [y], [
                float("alpha", g.alpha), float("beta", g.beta), int("transA", g.transA ? 1 : 0), int("transB", g.transB ? 1 : 0),
            ])
        case .concat(let axis): emit("Concat", node.name, node.inputs, [y], [int("axis", axis)])
        case .transpose(let perm): emit("Transpose", node.name, [x], [y], perm.isEmpty ? [] : [ints("perm", perm)])
        case let .pad(pads, value):
            let p = constant("\(node.name)__pads", int64s(pads))
            let v = constant("\(node.name)__value", .scalar(value))
            emit("Pad", node.name, [x, p, v], [y], [string("mode", "constant")])
        case .quantizeLinear(let axis): emit("QuantizeLinear", node.name, node.inputs, [y], [int("axis", axis)])
        case .dequantizeLinear(let axis): emit("DequantizeLinear", node.name, node.inputs, [y], [int("axis", axis)])
        case .int8Conv, .int8Add, .int8MaxPool, .int8AveragePool, .int8Relu:
            throw .exportUnsupported(
                node: node.name, op: node.operation.typeName,
                reason: "Q3D's integer operations have no ONNX form; export the QDQ graph they were lowered from")
        }
    }

    private func int64s(_ values: [Int]) -> AnyTensor {
        .int64(Tensor(computedShape: [values.count], elements: values.map { Int64($0) }))
    }

    private mutating func constant(_ base: String, _ value: AnyTensor) -> String {
        var name = base
        var i = 1
        while graph.initializers[name] != nil || extraInitializers[name] != nil || graph.types[name] != nil {
            name = "\(base)_\(i)"
            i += 1
        }
        extraInitializers[name] = value
        return name
    }

    private mutating func emit(
        _ op: String, _ name: String, _ inputs: [String], _ outputs: [String], _ attributes: [Onnx_AttributeProto] = []
    ) {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name
        n.input = inputs
        n.output = outputs
        n.attribute = attributes
        nodes.append(n)
    }

    private func spatial(kernel: [Int], strides: [Int], dilations: [Int], pads: [Int], autoPad: AutoPad) -> [Onnx_AttributeProto] {
        var a = [ints("kernel_shape", kernel), ints("strides", strides), ints("dilations", dilations)]
        if autoPad == .notSet { a.append(ints("pads", pads)) } else { a.append(string("auto_pad", autoPad.rawValue)) }
        return a
    }

    private func int(_ name: String, _ v: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(v)
        return a
    }

    private func ints(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = v.map { Int64($0) }
        return a
    }

    private func float(_ name: String, _ v: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = v
        return a
    }

    private func string(_ name: String, _ v: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(v.utf8)
        return a
    }
}
