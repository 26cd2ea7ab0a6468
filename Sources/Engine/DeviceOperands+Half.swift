import CUDARuntime
import Kernels
import Tensors

/// Float problems on fp16 kernels (`hmma`): the float32 operands are packed into the declared layouts,
/// rounded to nearest-even fp16 (the kernel's `.float16` buffers), and the float32 or fp16 output is
/// read back as float.
extension DeviceOperands {
    /// Launch arguments for a kernel over a float problem: fp16 input and weights, float32 bias,
    /// output, split-K scratch.
    func halfArguments(
        for source: KernelSource, input: Tensor<Float>, weight: Tensor<Float>, bias: [Float]
    ) throws -> [KernelArgument] {
        func unsupported(_ reason: String) -> EngineError { .unsupported(impl: source.template, reason: reason) }
        var inputPitch: Int?
        for parameter in source.parameters where parameter.role == .input {
            if case let .buffer(_, count, .ndhwc?, _) = parameter.kind {
                inputPitch = count / max(1, input.shape[0] * input.shape[2] * input.shape[3] * input.shape[4])
            }
        }
        var arguments: [KernelArgument] = []
        for parameter in source.parameters {
            switch (parameter.role, parameter.kind) {
            case let (.input, .buffer(.float16, count, layout, _)):
                arguments.append(.buffer(try upload("input fp16 \(String(describing: layout)) \(count)") {
                    Self.halfBits(try Self.pack(input, as: layout, count: count, parameter: parameter).elements)
                }))
            case let (.weight, .buffer(.float16, count, layout, _)):
                arguments.append(.buffer(try upload("weight fp16 \(String(describing: layout)) \(count)") {
                    Self.halfBits(
                        try Self.pack(weight, as: layout, count: count, parameter: parameter, inputPitch: inputPitch).elements)
                }))
            case let (.bias, .buffer(.float32, count, _, _)):
                arguments.append(.buffer(try upload("bias float \(count)") {
                    try Self.padded(bias, to: count, parameter: parameter)
                }))
            case let (.output, .buffer(element, count, _, _)):
                arguments.append(.buffer(try outputBuffer(bytes: count * element.byteSize)))
            case let (.workspace, .buffer(element, count, _, _)):
                arguments.append(.buffer(try scratch("workspace", bytes: count * element.byteSize, zeroed: false)))
            case let (.counters, .buffer(element, count, _, _)):
                arguments.append(.buffer(try scratch("counters", bytes: count * element.byteSize, zeroed: true)))
            default:
                throw unsupported("kernel parameter \(parameter) has no float operand to bind (fp16 input and weights, float bias)")
            }
        }
        return arguments
    }

    /// The float32 or fp16 output `source` wrote, unpacked to NCDHW as float.
    public func floatOutput(of source: KernelSource) throws -> [Float] {
        let (element, count, layout, bytes) = try Self.outputParameter(of: source)
        let buffer = try outputBuffer(bytes: bytes)
        let p = problem.parameters
        let shape = Self.physicalShape(p.outputShape, layout: layout, count: count)
        let values: [Float]
        switch element {
        case .float32: values = try buffer.values(of: Float.self, count: count)
        case .float16: values = try buffer.values(of: UInt16.self, count: count).map { Float(Float16(bitPattern: $0)) }
        default:
            throw EngineError.unsupported(impl: source.template, reason: "output element type \(element) is not a float")
        }
        return try Self.unpack(Tensor<Float>(shape: shape, layout: layout, elements: values), channels: p.outputChannels).elements
    }

    /// fp16 bit patterns of `values`, rounded to nearest even.
    static func halfBits(_ values: [Float]) -> [UInt16] { values.map { Float16($0).bitPattern } }
}
