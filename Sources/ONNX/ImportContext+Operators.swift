import Graph
import Tensors

/// One function per ONNX operator: reads the version's attributes and constant inputs and returns
/// Q3D's operation, or an error naming the node.
extension ImportContext {
    mutating func convert(_ node: Onnx_NodeProto, name: String, version: Int) throws(ONNXError) -> Converted {
        let a = ONNXAttributes(node, name: name)
        let op = node.opType
        func invalid(_ reason: String) -> ONNXError { .invalidNode(node: name, op: op, reason: reason) }
        func unsupported(_ reason: String) -> ONNXError { .unsupportedUsage(node: name, op: op, reason: reason) }
        func inputs(_ range: ClosedRange<Int>) throws(ONNXError) -> [String] {
            guard range.contains(node.input.count) else {
                throw invalid("has \(node.input.count) inputs; expected \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)")")
            }
            guard !node.input[0].isEmpty else { throw invalid("its first input is empty") }
            return node.input
        }
        func unary() throws(ONNXError) -> [String] { [try inputs(1...1)[0]] }

        switch op {
        case "Conv":
            let i = try inputs(2...3)
            guard let kernel = try (a.ints("kernel_shape")).flatMap { $0 } ?? weightKernel(i[1]) else {
                throw unsupported("a convolution whose weight is computed and whose kernel_shape is missing")
            }
            let attrs = ConvAttributes(
                kernel: kernel, strides: try a.ints("strides"), dilations: try a.ints("dilations"),
                pads: try a.ints("pads"), autoPad: try autoPad(a, invalid), groups: try a.int("group", default: 1))
            return .operation(.conv(attrs), inputs: i)
        case "BatchNormalization":
            if version >= 14, try a.int("training_mode", default: 0) != 0 { throw unsupported("training_mode = 1") }
            return .operation(.batchNormalization(epsilon: try a.float("epsilon") ?? 1e-5), inputs: try inputs(5...5))
        case "Relu": return .operation(.relu, inputs: try unary())
        case "Sigmoid": return .operation(.sigmoid, inputs: try unary())
        case "Clip":
            let i = try inputs(1...3)
            let low = try constantInput(node, 1, name: name, role: "min").map { d throws(ONNXError) in try scalar(d, node: node, name: name, role: "min") }
            let high = try constantInput(node, 2, name: name, role: "max").map { d throws(ONNXError) in try scalar(d, node: node, name: name, role: "max") }
            return .operation(.clip(min: low ?? -.infinity, max: high ?? .infinity), inputs: [i[0]])
        case "Add", "Mul":
            let i = try inputs(2...2)
            return .operation(op == "Add" ? .add : .mul, inputs: i)
        case "MaxPool", "AveragePool":
            let x = try unary()
            guard let kernel = try a.ints("kernel_shape") else { throw invalid("kernel_shape is missing") }
            let p = PoolAttributes(
                kernel: kernel, strides: try a.ints("strides"), dilations: try a.ints("dilations"),
                pads: try a.ints("pads"), autoPad: try autoPad(a, invalid),
                ceilMode: try a.int("ceil_mode", default: 0) != 0,
                countIncludePad: try a.int("count_include_pad", default: 0) != 0)
            return .operation(op == "MaxPool" ? .maxPool(p) : .averagePool(p), inputs: x)
        case "GlobalAveragePool": return .operation(.globalAveragePool, inputs: try unary())
        case "ReduceMean":
            let keepDims = try a.int("keepdims", default: 1) != 0
            if version >= 18 {
                let i = try inputs(1...2)
                let axes = try constantInput(node, 1, name: name, role: "axes").map { d throws(ONNXError) in try integers(d, node: node, name: name, role: "axes") } ?? []
                let noop = try a.int("noop_with_empty_axes", default: 0) != 0
                if axes.isEmpty && noop {
                    return .operation(.identity, inputs: [i[0]])
                }
                return .operation(.reduceMean(axes: axes, keepDims: keepDims), inputs: [i[0]])
            }
            return .operation(.reduceMean(axes: try a.ints("axes") ?? [], keepDims: keepDims), inputs: try unary())
        case "Flatten": return .operation(.flatten(axis: try a.int("axis", default: 1)), inputs: try unary())
        case "Reshape":
            let i = try inputs(2...2)
            guard let shape = try constantInput(node, 1, name: name, role: "shape") else { throw invalid("shape is missing") }
            let allowZeroAttribute = try a.int("allowzero", default: 0)
            let allowZero = version >= 14 && allowZeroAttribute != 0
            return .operation(.reshape(shape: try integers(shape, node: node, name: name, role: "shape"), allowZero: allowZero), inputs: [i[0]])
        case "Gemm":
            let g = GemmAttributes(
                alpha: try a.float("alpha") ?? 1, beta: try a.float("beta") ?? 1,
                transA: try a.int("transA", default: 0) != 0, transB: try a.int("transB", default: 0) != 0)
            return .operation(.gemm(g), inputs: try inputs(2...3))
        case "MatMul": return .operation(.matMul, inputs: try inputs(2...2))
        case "Concat":
            guard let axis = try a.int("axis") else { throw invalid("axis is missing") }
            guard !node.input.isEmpty, !node.input.contains("") else { throw invalid("needs at least one input and no empty names") }
            return .operation(.concat(axis: axis), inputs: node.input)
        case "Transpose": return .operation(.transpose(perm: try a.ints("perm") ?? []), inputs: try unary())
        case "Pad":
            let i = try inputs(2...4)
            let mode = try a.string("mode") ?? "constant"
            guard mode == "constant" else { throw unsupported("mode '\(mode)'") }
            if input(node, 3) != nil { throw unsupported("the axes input") }
            guard let pads = try constantInput(node, 1, name: name, role: "pads") else { throw invalid("pads is missing") }
            let value = try constantInput(node, 2, name: name, role: "constant_value").map { d throws(ONNXError) in try scalar(d, node: node, name: name, role: "constant_value") } ?? 0
            return .operation(.pad(pads: try integers(pads, node: node, name: name, role: "pads"), value: value), inputs: [i[0]])
        case "Identity": return .operation(.identity, inputs: try unary())
        case "Dropout":
            let i = try inputs(1...3)
            if version >= 12, let training = try constantInput(node, 2, name: name, role: "training_mode"),
                training.floatValues.contains(where: { $0 != 0 })
            {
                throw unsupported("training_mode = true")
            }
            return .operation(.identity, inputs: [i[0]])
        case "Constant":
            return .constant(try constantValue(a, name: name, invalid))
        case "QuantizeLinear", "DequantizeLinear":
            return try quantizeLinear(node, a, name: name, version: version, invalid, unsupported)
        default:
            throw .unsupportedOperator(node: name, op: op, domain: node.domain, supported: ONNXOperators.supported)
        }
    }

    /// The kernel extents of a constant weight (or of the constant behind a DequantizeLinear).
    private func weightKernel(_ weight: String) -> [Int]? {
        guard let shape = constants[weight]?.shape ?? dequantizedShapes[weight], shape.count >= 3 else { return nil }
        return Array(shape.dropFirst(2))
    }

    private func autoPad(_ a: ONNXAttributes, _ invalid: (String) -> ONNXError) throws(ONNXError) -> AutoPad {
        let s = try a.string("auto_pad") ?? "NOTSET"
        guard let p = AutoPad(rawValue: s.isEmpty ? "NOTSET" : s) else { throw invalid("auto_pad '\(s)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID") }
        return p
    }

    private func constantValue(_ a: ONNXAttributes, name: String, _ invalid: (String) -> ONNXError) throws(ONNXError) -> AnyTensor {
        if let t = try a.tensor("value") { return try ONNXTensor.decode(t, baseDirectory: baseDirectory) }
        if let f = try a.float("value_float") { return .scalar(f) }
        if let f = try a.floats("value_floats") { return .vector(f) }
        if let i = try a.int("value_int") { return .int64(Tensor(computedShape: [], elements: [Int64(i)])) }
        if let i = try a.ints("value_ints") { return .int64(Tensor(computedShape: [i.count], elements: i.map { Int64($0) })) }
        throw invalid("holds \(a.names.isEmpty ? "no value" : a.names.joined(separator: ", ")); Q3D reads value, value_float(s) and value_int(s)")
    }

    private mutating func quantizeLinear(
        _ node: Onnx_NodeProto, _ a: ONNXAttributes, name: String, version: Int,
        _ invalid: (String) -> ONNXError, _ unsupported: (String) -> ONNXError
    ) throws(ONNXError) -> Converted {
        let quantize = node.opType == "QuantizeLinear"
        guard (2...3).contains(node.input.count), !node.input[0].isEmpty, !node.input[1].isEmpty else {
            throw invalid("expects inputs x, scale and an optional zero point")
        }
        if try a.int("block_size", default: 0) != 0 { throw unsupported("blocked quantization (block_size)") }
        let axis = version >= 13 ? try a.int("axis", default: 1) : 1
        var inputs = Array(node.input.prefix(2))
        var zeroPoint = input(node, 2)
        let outputType = try a.int("output_dtype", default: 0)
        if quantize {
            // ONNX's default output type is uint8, unless a zero point or output_dtype says otherwise.
            let wanted: DType
            switch outputType {
            case 0: wanted = zeroPoint.flatMap { constants[$0]?.dtype } ?? .uint8
            case Int(ONNXTensor.elemType(.int8)): wanted = .int8
            case Int(ONNXTensor.elemType(.uint8)): wanted = .uint8
            default: throw unsupported("output_dtype \(outputType) (Q3D quantizes to int8 or uint8)")
            }
            if let precision = try a.int("precision"), precision != 0, precision != Int(ONNXTensor.elemType(.float32)) {
                throw unsupported("precision \(precision)")
            }
            if zeroPoint == nil {
                let scaleCount = constants[node.input[1]]?.count ?? 1
                let zpName = "\(name)__zero_point"
                constants[zpName] =
                    wanted == .int8
                    ? .int8(Tensor(computedShape: constants[node.input[1]]?.shape ?? [], elements: Array(repeating: 0, count: scaleCount)))
                    : .uint8(Tensor(computedShape: constants[node.input[1]]?.shape ?? [], elements: Array(repeating: 0, count: scaleCount)))
                zeroPoint = zpName
            }
        } else if outputType != 0, outputType != Int(ONNXTensor.elemType(.float32)) {
            throw unsupported("output_dtype \(outputType) (Q3D dequantizes to float32)")
        }
        if let zp = zeroPoint { inputs.append(zp) }
        if !quantize, let shape = constants[node.input[0]]?.shape, let y = node.output.first { dequantizedShapes[y] = shape }
        return .operation(quantize ? .quantizeLinear(axis: axis) : .dequantizeLinear(axis: axis), inputs: inputs)
    }
}
