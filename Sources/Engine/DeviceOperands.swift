import CUDARuntime
import ConvGeometry
import Kernels
import Tensors

/// The operands of one convolution problem on a CUDA device, uploaded once per layout a kernel asks
/// for and shared by every kernel that runs the problem (a sweep over hundreds of configs packs and
/// uploads the input once, not once per config).
///
/// A kernel's ``KernelSource`` parameters say what it reads: each parameter's role (input, weight,
/// output, scale, bias), element type, element count and layout. ``arguments(for:)`` turns that list
/// into launch arguments in the kernel's own order, packing NCDHW/OIDHW operands into the declared
/// layouts (NCDHW4c, NDHWC, OIDHW4o4i, ODHWI) with the declared channel padding.
public final class DeviceOperands {
    public let context: CUDAContext
    public let problem: Conv3DProblem
    private var uploaded: [String: DeviceBuffer] = [:]
    private var outputs: [Int: DeviceBuffer] = [:]

    public init(problem: Conv3DProblem, context: CUDAContext) {
        self.problem = problem
        self.context = context
    }

    /// Launch arguments for `source`, in its parameter order.
    public func arguments(for source: KernelSource) throws -> [KernelArgument] {
        if case let .float32(input, weight, bias) = problem.operands {
            return try halfArguments(for: source, input: input, weight: weight, bias: bias)
        }
        guard case let .int8(input, weight, epilogue) = problem.operands else {
            throw EngineError.unsupported(impl: source.template, reason: "GPU kernels take int8 operands")
        }
        // A channels-last kernel pads C once, to the pitch of its input rows; its ODHWI weights use the
        // same padded C. A grouped kernel's weights hold C/G channels per filter, unpadded.
        // A kernel that packs groups reads the weights regrouped (block-diagonal) into its own groups.
        let weightGroups = source.parameters.first { $0.role == .weight }?.weightGroups ?? problem.parameters.groups
        var inputPitch: Int?
        for parameter in source.parameters where parameter.role == .input && weightGroups == 1 {
            if case let .buffer(_, count, .ndhwc?, _) = parameter.kind {
                inputPitch = count / max(1, input.shape[0] * input.shape[2] * input.shape[3] * input.shape[4])
            }
        }
        var arguments: [KernelArgument] = []
        for parameter in source.parameters {
            switch (parameter.role, parameter.kind) {
            case let (.input, .buffer(_, count, layout, _)):
                arguments.append(.buffer(try upload("input \(String(describing: layout)) \(count)") {
                    try Self.pack(input, as: layout, count: count, parameter: parameter).elements
                }))
            case let (.weight, .buffer(_, count, layout, _)):
                arguments.append(.buffer(try upload("weight \(String(describing: layout)) \(count) groups \(weightGroups)") {
                    try Self.pack(
                        try Self.regrouped(weight, problem.parameters, into: weightGroups), as: layout, count: count,
                        parameter: parameter, inputPitch: inputPitch
                    ).elements
                }))
            case let (.scale, .buffer(_, count, _, _)):
                arguments.append(.buffer(try upload("scale \(count)") {
                    try Self.padded(epilogue?.scale ?? [], to: count, parameter: parameter)
                }))
            case let (.bias, .buffer(_, count, _, _)):
                arguments.append(.buffer(try upload("bias \(count)") {
                    try Self.padded(epilogue?.bias ?? [], to: count, parameter: parameter)
                }))
            case let (.output, .buffer(element, count, _, _)):
                arguments.append(.buffer(try outputBuffer(bytes: count * element.byteSize)))
            case let (.workspace, .buffer(element, count, _, _)):
                arguments.append(.buffer(try scratch("workspace", bytes: count * element.byteSize, zeroed: false)))
            case let (.counters, .buffer(element, count, _, _)):
                // Zero once; every launch leaves its counters zero again.
                arguments.append(.buffer(try scratch("counters", bytes: count * element.byteSize, zeroed: true)))
            case let (.residual, .buffer(_, count, layout, _)):
                guard let residual = problem.residual else {
                    throw EngineError.unsupported(
                        impl: source.template, reason: "the kernel adds a residual, the problem has none (ask for one)")
                }
                arguments.append(.buffer(try upload("residual \(String(describing: layout)) \(count)") {
                    try Self.pack(residual, as: layout, count: count, parameter: parameter).elements
                }))
            case (.residualScale, .float32):
                arguments.append(.float(epilogue?.residualScale ?? 0))
            default:
                throw EngineError.unsupported(
                    impl: source.template, reason: "kernel parameter \(parameter) has no operand to bind")
            }
        }
        return arguments
    }

    /// The output buffer `source` writes, poisoned with `byte` in every byte.
    public func poisonOutput(of source: KernelSource, with byte: UInt8) throws {
        try outputBuffer(bytes: try Self.outputParameter(of: source).bytes).memset8(byte)
    }

    /// The output `source` wrote, unpacked to NCDHW; int8 values are widened to int32.
    public func output(of source: KernelSource) throws -> [Int32] {
        let (element, count, layout, bytes) = try Self.outputParameter(of: source)
        let buffer = try outputBuffer(bytes: bytes)
        let p = problem.parameters
        let shape = Self.physicalShape(p.outputShape, layout: layout, count: count)
        switch element {
        case .int32:
            let raw = try Tensor<Int32>(
                shape: shape, layout: layout, elements: try buffer.values(of: Int32.self, count: count))
            return try Self.unpack(raw, channels: p.outputChannels).elements
        case .int8:
            let raw = try Tensor<Int8>(shape: shape, layout: layout, elements: try buffer.values(of: Int8.self, count: count))
            return try Self.unpack(raw, channels: p.outputChannels).elements.map(Int32.init)
        default:
            throw EngineError.unsupported(impl: source.template, reason: "output element type \(element)")
        }
    }

    func upload<T: BitwiseCopyable>(_ key: String, _ values: () throws -> [T]) throws -> DeviceBuffer {
        if let buffer = uploaded[key] { return buffer }
        let buffer = try DeviceBuffer(context: context, copying: try values())
        uploaded[key] = buffer
        return buffer
    }

    func scratch(_ name: String, bytes: Int, zeroed: Bool) throws -> DeviceBuffer {
        let key = "\(name) \(bytes)"
        if let buffer = uploaded[key] { return buffer }
        let buffer = try DeviceBuffer(context: context, byteCount: max(4, bytes))
        if zeroed { try buffer.memset8(0) }
        uploaded[key] = buffer
        return buffer
    }

    func outputBuffer(bytes: Int) throws -> DeviceBuffer {
        if let buffer = outputs[bytes] { return buffer }
        let buffer = try DeviceBuffer(context: context, byteCount: bytes)
        outputs[bytes] = buffer
        return buffer
    }

    static func outputParameter(of source: KernelSource) throws -> (DType, Int, Layout?, bytes: Int) {
        for parameter in source.parameters where parameter.role == .output {
            if case let .buffer(element, count, layout, _) = parameter.kind {
                return (element, count, layout, count * element.byteSize)
            }
        }
        throw EngineError.unsupported(impl: source.template, reason: "the kernel declares no output buffer")
    }

    static func padded(_ values: [Float], to count: Int, parameter: KernelParameter) throws -> [Float] {
        guard values.count <= count else {
            throw EngineError.unsupported(
                impl: "", reason: "\(parameter) holds \(count) values, the epilogue has \(values.count)")
        }
        return values + Array(repeating: 0, count: count - values.count)
    }

    /// `tensor` (NCDHW or OIDHW) in the layout a kernel parameter declares, channels padded so that
    /// the element count is the parameter's.
    static func pack<T: TensorElement>(
        _ tensor: Tensor<T>, as layout: Layout?, count: Int, parameter: KernelParameter, inputPitch: Int? = nil
    ) throws -> Tensor<T> {
        let s = tensor.shape
        let spatial = s[2] * s[3] * s[4]
        let packed: Tensor<T>
        switch layout {
        case .ncdhwc(let block)?:
            packed = try tensor.packedNCDHWc(block: block)
        case .ndhwc?:
            packed = try tensor.packedNDHWC(channelMultiple: max(1, count / max(1, s[0] * spatial)))
        case let .oidhwoi(outBlock, inBlock)?:
            packed = try tensor.packedOIDHWoi(outBlock: outBlock, inBlock: inBlock)
        case .odhwi?:
            // [Kp, kd, kh, kw, Cp] with Cp the input's pitch ([K, kd, kh, kw, C/G] when grouped: no pitch).
            let cp = inputPitch ?? s[1]
            let kp = count / max(1, spatial * cp)
            packed = try tensor.packedODHWI(outputChannelMultiple: kp, inputChannelMultiple: cp)
        case .dhwo?:
            // Depthwise [kd, kh, kw, Kp].
            packed = try tensor.packedDHWO(channelMultiple: max(1, count / max(1, spatial)))
        default:
            throw EngineError.unsupported(impl: "", reason: "no packing for \(parameter)")
        }
        guard packed.count == count else {
            throw EngineError.unsupported(
                impl: "", reason: "\(parameter) expects \(count) elements, packing gave \(packed.count) \(packed.shape)")
        }
        return packed
    }

    /// OIDHW `weights` of a convolution with `parameters.groups` groups as those of the same convolution
    /// with `groups` groups (``ConvWeights/regrouped(_:parameters:into:)``); unchanged when equal.
    static func regrouped<T: TensorElement & Numeric>(_ weights: Tensor<T>, _ parameters: Conv3DParameters, into groups: Int) throws -> Tensor<T> {
        guard groups != parameters.groups else { return weights }
        let elements = try ConvWeights.regrouped(weights.elements, parameters: parameters, into: groups)
        var shape = parameters.weightShape
        shape[1] = parameters.inputChannels / groups
        return try Tensor(shape: shape, layout: .oidhw, elements: elements)
    }

    static func physicalShape(_ logical: [Int], layout: Layout?, count: Int) -> [Int] {
        let (n, k, d, h, w) = (logical[0], logical[1], logical[2], logical[3], logical[4])
        switch layout {
        case .ncdhwc(let b)?: return [n, (k + b - 1) / b, d, h, w, b]
        case .ndhwc?: return [n, d, h, w, count / max(1, n * d * h * w)]
        default: return logical
        }
    }

    static func unpack<T: TensorElement>(_ t: Tensor<T>, channels: Int) throws -> Tensor<T> {
        switch t.layout {
        case .ncdhwc?: return try t.unpackedNCDHWc(channels: channels)
        case .ndhwc?: return try t.unpackedNDHWC(channels: channels)
        default: return t
        }
    }
}
