import ConvGeometry
import CUDARuntime
import Kernels
import Tensors

/// A problem packed into the imma template's layouts and uploaded, shared by every configuration run
/// on it: NDHWC input with C padded to a multiple of 4, ODHWI weights with K and C padded to multiples
/// of 4, scale and bias padded with zeros to Kp, and the residual as NDHWC with Kp channels.
public final class ImmaConv3DOperands: Sendable {
    public let workload: Conv3DParameters
    /// Kp: output channels rounded up to 4, the channel pitch of the output.
    public let outputPitch: Int
    let input: DeviceBuffer
    let weight: DeviceBuffer
    let scale: DeviceBuffer
    let bias: DeviceBuffer
    let residual: DeviceBuffer?
    let residualScale: Float?
    let relu: Bool

    init(_ problem: ImmaConv3DProblem, context: CUDAContext) throws(EngineError) {
        let w = problem.workload
        let pitch = (w.outputChannels + 3) / 4 * 4
        let padding = [Float](repeating: 0, count: pitch - w.outputChannels)
        guard problem.epilogue.scale.count == w.outputChannels, problem.epilogue.bias.count == w.outputChannels else {
            throw .invalidInput(
                "epilogue has \(problem.epilogue.scale.count) scales and \(problem.epilogue.bias.count) biases; expected K = \(w.outputChannels) each")
        }
        guard (problem.residual != nil) == (problem.epilogue.residualScale != nil) else {
            throw .invalidInput("a residual tensor needs a residual scale in the epilogue, and the other way round")
        }
        let packedInput: Tensor<Int8>
        let packedWeight: Tensor<Int8>
        let packedResidual: Tensor<Int8>?
        do {
            packedInput = try problem.input.packedNDHWC(channelMultiple: 4)
            packedWeight = try problem.weight.packedODHWI(outputChannelMultiple: 4, inputChannelMultiple: 4)
            packedResidual = try problem.residual?.packedNDHWC(channelMultiple: 4)
        } catch {
            throw .tensor(error)
        }
        guard packedInput.shape == [w.batch] + w.input.array + [(w.inputChannels + 3) / 4 * 4],
            packedWeight.shape == [pitch] + w.kernel.array + [(w.inputChannels + 3) / 4 * 4]
        else {
            throw .invalidInput("input \(problem.input.shape) or weight \(problem.weight.shape) does not match \(w)")
        }
        if let packedResidual, packedResidual.shape != [w.batch] + w.output.array + [pitch] {
            throw .invalidInput("residual \(problem.residual?.shape ?? []) does not match the output \(w.outputShape)")
        }
        do {
            input = try DeviceBuffer(context: context, copying: packedInput.elements)
            weight = try DeviceBuffer(context: context, copying: packedWeight.elements)
            scale = try DeviceBuffer(context: context, copying: problem.epilogue.scale + padding)
            bias = try DeviceBuffer(context: context, copying: problem.epilogue.bias + padding)
            residual = try packedResidual.map { t throws(CUDAError) in try DeviceBuffer(context: context, copying: t.elements) }
        } catch {
            throw .cuda(error)
        }
        workload = w
        outputPitch = pitch
        residualScale = problem.epilogue.residualScale
        relu = problem.epilogue.relu
    }
}

/// One kernel bound to operands: its arguments in order, its own output buffer and, with split-K, its
/// workspace and counters (zeroed once; the kernel leaves them zero).
public struct ImmaConv3DLaunch: Sendable {
    public let kernel: LoadedKernel
    public let operands: ImmaConv3DOperands
    let arguments: [KernelArgument]
    let output: DeviceBuffer
    /// True for an int8 output, false for int32.
    let int8: Bool
    /// Elements of the packed output `[N, Do, Ho, Wo, Kp]`.
    let outputElements: Int

    init(_ kernel: LoadedKernel, operands: ImmaConv3DOperands) throws(EngineError) {
        let source = kernel.source
        guard let outputParameter = source.parameters.first(where: { $0.role == .output }),
            case let .buffer(element, count, _, _) = outputParameter.kind
        else {
            throw .binding(kernel: source.name, parameter: "output", reason: "the kernel declares no output buffer")
        }
        let context = operands.input.context
        var bindings = KernelBindings()
        bindings.buffers[.input] = operands.input
        bindings.buffers[.weight] = operands.weight
        bindings.buffers[.scale] = operands.scale
        bindings.buffers[.bias] = operands.bias
        if let residual = operands.residual { bindings.buffers[.residual] = residual }
        if let residualScale = operands.residualScale { bindings.floats[.residualScale] = residualScale }
        let output: DeviceBuffer
        do {
            output = try DeviceBuffer(context: context, byteCount: count * element.byteSize)
            bindings.buffers[.output] = output
            for parameter in source.parameters {
                guard case let .buffer(element, count, _, _) = parameter.kind else { continue }
                switch parameter.role {
                case .workspace:
                    bindings.buffers[.workspace] = try DeviceBuffer(context: context, byteCount: count * element.byteSize)
                case .counters:
                    let counters = try DeviceBuffer(context: context, byteCount: count * element.byteSize)
                    try counters.memset8(0)
                    bindings.buffers[.counters] = counters
                default:
                    break
                }
            }
        } catch {
            throw .cuda(error)
        }
        self.kernel = kernel
        self.operands = operands
        self.arguments = try bindings.arguments(for: source)
        self.output = output
        self.int8 = element == .int8
        self.outputElements = count
    }
}
