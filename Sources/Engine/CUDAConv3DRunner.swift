import CUDARuntime
import ConvGeometry
import Kernels

/// Runs an int8 convolution with one of Q3D's CUDA kernel templates on GPU 0 (`q3d conv3d --device cuda`).
public struct CUDAConv3DRunner: Conv3DRunner {
    public let request: Conv3DRequest
    public let selection: KernelSelection
    private let kernel: LoadedConvKernel
    private let check: KernelCheck
    private let device: CUDADevice

    /// `configSource` names where a given `config` came from (`given` by the user, `tuning-log`).
    public init(
        request: Conv3DRequest, impl: String, config: String?, configIndex: Int?, configSource: String = "given"
    ) throws {
        let context = try CUDAContext(ordinal: 0)
        device = try CUDADevice(ordinal: 0)
        self.request = request
        selection = try KernelCatalog.select(
            impl: impl, workload: request.parameters, arch: GPUArchitecture(device),
            output: request.outputKind,
            config: config, configIndex: configIndex, configSource: configSource)
        let compiled = try LoadedConvKernel.compile(selection.source, arch: device.arch, cache: ModuleCache())
        kernel = try LoadedConvKernel(selection.source, compiled: compiled, context: context)
        check = KernelCheck(
            operands: DeviceOperands(problem: try Conv3DProblem(request), context: context),
            int8Output: request.int8Output)
    }

    public mutating func run(verify: Bool, bench: Bool, repeats: Int) throws -> Conv3DRunResult {
        var result = Conv3DRunResult(outputShape: request.parameters.outputShape, detail: detail)
        result.config = selection.configJSON
        result.configSource = selection.configSource
        if verify {
            let outcome = try check.verify(kernel)
            result.maxAbsError = outcome.errors.maxAbs
            result.relativeError = outcome.errors.relative
            result.unwritten = outcome.unwritten
            result.verified = outcome.passed
        }
        if bench {
            let times = try check.time(kernel, repeats: repeats)
            result.milliseconds = Timing.median(times)
            result.spread = (times.min() ?? 0)...(times.max() ?? 0)
            result.repeats = repeats
        }
        return result
    }

    private var detail: String {
        let k = kernel.compiled
        var parts = [device.name, device.arch, "NVRTC \(k.nvrtcVersion)"]
        if let r = k.registers { parts.append("\(r) registers") }
        if let s = k.spillBytes, s > 0 { parts.append("\(s) spill bytes") }
        parts.append("block \(selection.source.block), grid \(selection.source.grid)")
        return parts.joined(separator: ", ")
    }
}

extension GPUArchitecture {
    /// The limits of a device, as the kernel templates' validity rules need them.
    public init(_ device: CUDADevice) {
        self.init(
            major: device.computeCapability.major, minor: device.computeCapability.minor,
            archSpecific: device.computeCapability.major >= 9,
            maxDynamicSharedBytesPerBlock: device.maxSharedMemoryPerBlockOptin)
        maxThreadsPerBlock = device.maxThreadsPerBlock
        registersPerBlock = device.registersPerBlock
        multiprocessorCount = device.multiprocessors
    }
}
