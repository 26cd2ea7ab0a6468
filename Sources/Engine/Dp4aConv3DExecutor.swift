import CUDARuntime
import ConvGeometry
import Kernels
import Tensors

/// One dp4a conv3d kernel ready on a CUDA device: rendered for a workload and configuration, compiled
/// through the module cache and loaded. It runs on host tensors in the logical layouts (input NCDHW,
/// weights OIDHW, output NCDHW) and does the packing to NCDHW4c and OIDHW4o4i itself.
///
/// ```swift
/// let context = try CUDAContext(ordinal: 0)
/// let executor = try Dp4aConv3DExecutor(context: context, parameters: p, config: config,
///                                       output: .int8(relu: true, residual: false))
/// let y = try executor.run(input: x, weight: w, epilogue: epilogue)      // .int8([N, K, Do, Ho, Wo])
/// let report = try executor.verify(input: x, weight: w, epilogue: epilogue)
/// ```
public final class Dp4aConv3DExecutor {
    public let context: CUDAContext
    public let parameters: Conv3DParameters
    public let config: Dp4aConv3DConfig
    public let output: OutputKind
    public let kernel: KernelSource
    public let compiled: CompiledKernel
    private let module: CUDAModule
    private let function: CUDAFunction

    /// Options for NVRTC: what the template's sources are written for.
    public static let compileOptions = ["-default-device", "--ptxas-options=-v"]

    /// Renders, compiles (or finds in `cache`) and loads the kernel. Throws when the configuration is
    /// not a valid point of the template's space on this device, or on any compile or load failure.
    public init(
        context: CUDAContext, parameters: Conv3DParameters, config: Dp4aConv3DConfig, output: OutputKind,
        cache: ModuleCache = ModuleCache()
    ) throws {
        let device = context.device
        let arch = device.gpuArchitecture
        try Dp4aConv3DTemplate.validate(config, for: parameters, on: arch)
        let kernel = try Dp4aConv3DTemplate.render(workload: parameters, config: config, output: output)
        // dp4a needs no architecture-specific feature: the portable "sm_90", not "sm_90a".
        compiled = try cache.kernel(
            source: kernel.text, name: kernel.name, arch: device.baseArch, options: Self.compileOptions)
        module = try CUDAModule(context: context, kernel: compiled)
        function = try module.function(named: kernel.name)
        self.context = context
        self.parameters = parameters
        self.config = config
        self.output = output
        self.kernel = kernel
    }

    /// Device copies of the packed operands and the output, in the kernel's parameter order.
    public struct Buffers {
        public let input: DeviceBuffer
        public let weight: DeviceBuffer
        public let output: DeviceBuffer
        public let scale: DeviceBuffer?
        public let bias: DeviceBuffer?
        public let residual: DeviceBuffer?
        public let residualScale: Float?
    }

    /// Packs and uploads the operands. `epilogue` must be given exactly for int8 output, and
    /// `residual` (NCDHW, shaped like the output) exactly when the output kind has a residual.
    public func upload(
        input: Tensor<Int8>, weight: Tensor<Int8>, epilogue: Epilogue? = nil, residual: Tensor<Int8>? = nil
    ) throws -> Buffers {
        let p = parameters
        guard input.shape == p.inputShape else { throw Dp4aExecutorError.shape("input", input.shape, p.inputShape) }
        guard weight.shape == p.weightShape else { throw Dp4aExecutorError.shape("weight", weight.shape, p.weightShape) }
        let packedInput = try input.reshaped(input.shape, layout: .ncdhw).packedNCDHWc(block: 4)
        let packedWeight = try weight.reshaped(weight.shape, layout: .oidhw).packedOIDHWoi(outBlock: 4, inBlock: 4)
        var scale: DeviceBuffer?
        var bias: DeviceBuffer?
        var residualBuffer: DeviceBuffer?
        switch output {
        case .int32:
            guard epilogue == nil, residual == nil else { throw Dp4aExecutorError.epilogue("int32 output takes no epilogue or residual") }
        case .int8(let relu, let hasResidual):
            guard let epilogue else { throw Dp4aExecutorError.epilogue("int8 output needs an epilogue") }
            guard epilogue.relu == relu, (epilogue.residualScale != nil) == hasResidual, (residual != nil) == hasResidual else {
                throw Dp4aExecutorError.epilogue(
                    "the epilogue (relu \(epilogue.relu), residual scale \(epilogue.residualScale.map { "\($0)" } ?? "none"), "
                        + "residual tensor \(residual == nil ? "absent" : "given")) does not match the kernel's output \(output)")
            }
            guard epilogue.scale.count == p.outputChannels, epilogue.bias.count == p.outputChannels else {
                throw Dp4aExecutorError.epilogue(
                    "\(epilogue.scale.count) scales and \(epilogue.bias.count) biases for \(p.outputChannels) channels")
            }
            scale = try DeviceBuffer(context: context, copying: epilogue.scale)
            bias = try DeviceBuffer(context: context, copying: epilogue.bias)
            if let residual {
                guard residual.shape == p.outputShape else {
                    throw Dp4aExecutorError.shape("residual", residual.shape, p.outputShape)
                }
                let packed = try residual.reshaped(residual.shape, layout: .ncdhw).packedNCDHWc(block: 4)
                residualBuffer = try DeviceBuffer(context: context, copying: packed.elements)
            }
        }
        return Buffers(
            input: try DeviceBuffer(context: context, copying: packedInput.elements),
            weight: try DeviceBuffer(context: context, copying: packedWeight.elements),
            output: try DeviceBuffer(context: context, byteCount: packedOutputBytes),
            scale: scale, bias: bias, residual: residualBuffer, residualScale: epilogue?.residualScale)
    }

    /// Bytes of the NCDHW4c output: 4 per element for int32, 1 for int8.
    public var packedOutputBytes: Int {
        let p = parameters
        let elements = p.batch * ((p.outputChannels + 3) / 4) * 4 * p.output.volume
        if case .int32 = output { return 4 * elements }
        return elements
    }

    /// Queues one launch on `stream` (nil: the default stream).
    public func launch(_ buffers: Buffers, stream: CUDAStream? = nil) throws {
        var arguments: [KernelArgument] = []
        for parameter in kernel.parameters {
            switch parameter.role {
            case .input: arguments.append(.buffer(buffers.input))
            case .weight: arguments.append(.buffer(buffers.weight))
            case .output: arguments.append(.buffer(buffers.output))
            case .scale, .bias, .residual:
                let buffer = parameter.role == .scale ? buffers.scale : parameter.role == .bias ? buffers.bias : buffers.residual
                guard let buffer else { throw Dp4aExecutorError.epilogue("no buffer for kernel parameter '\(parameter.name)'") }
                arguments.append(.buffer(buffer))
            case .residualScale:
                guard let value = buffers.residualScale else { throw Dp4aExecutorError.epilogue("no residual scale") }
                arguments.append(.float(value))
            }
        }
        let (g, b) = (kernel.grid, kernel.block)
        try function.launch(
            grid: (g.x, g.y, g.z), block: (b.x, b.y, b.z), sharedBytes: kernel.dynamicSharedBytes, stream: stream,
            arguments: arguments)
    }

    /// The output buffer, unpacked to NCDHW `[N, K, Do, Ho, Wo]`; waits for the work queued so far.
    public func download(_ buffers: Buffers) throws -> Dp4aConv3DOutput {
        try context.synchronize()
        let p = parameters
        let packedShape = [p.batch, (p.outputChannels + 3) / 4] + p.output.array + [4]
        switch output {
        case .int32:
            let packed = try Tensor(
                shape: packedShape, layout: .ncdhwc(block: 4), elements: try buffers.output.values(of: Int32.self))
            return .int32(try packed.unpackedNCDHWc(channels: p.outputChannels))
        case .int8:
            let packed = try Tensor(
                shape: packedShape, layout: .ncdhwc(block: 4), elements: try buffers.output.values(of: Int8.self))
            return .int8(try packed.unpackedNCDHWc(channels: p.outputChannels))
        }
    }

    /// Upload, one launch, download.
    public func run(
        input: Tensor<Int8>, weight: Tensor<Int8>, epilogue: Epilogue? = nil, residual: Tensor<Int8>? = nil
    ) throws -> Dp4aConv3DOutput {
        let buffers = try upload(input: input, weight: weight, epilogue: epilogue, residual: residual)
        try launch(buffers)
        return try download(buffers)
    }

    /// Kernel time in milliseconds over `repeats` launches after `warmUp` untimed ones, each launch timed
    /// by its own pair of events: median, fastest and slowest.
    public func time(_ buffers: Buffers, warmUp: Int = 3, repeats: Int = 50) throws -> (median: Double, range: ClosedRange<Double>) {
        let stream = try CUDAStream(context: context)
        for _ in 0..<max(0, warmUp) { try launch(buffers, stream: stream) }
        var times: [Double] = []
        let (start, end) = (try CUDAEvent(context: context), try CUDAEvent(context: context))
        for _ in 0..<max(1, repeats) {
            try start.record(on: stream)
            try launch(buffers, stream: stream)
            try end.record(on: stream)
            times.append(Double(try CUDAEvent.elapsedMilliseconds(from: start, to: end)))
        }
        return (Timing.median(times), (times.min() ?? 0)...(times.max() ?? 0))
    }
}

/// What a dp4a kernel produced, unpacked to NCDHW.
public enum Dp4aConv3DOutput: Sendable, Equatable {
    case int32(Tensor<Int32>)
    case int8(Tensor<Int8>)
}

extension CUDADevice {
    /// The limits the templates' validity rules need, read off this device.
    public var gpuArchitecture: GPUArchitecture {
        GPUArchitecture(
            major: computeCapability.major, minor: computeCapability.minor,
            maxThreadsPerBlock: maxThreadsPerBlock,
            maxStaticSharedBytesPerBlock: min(48 * 1024, maxSharedMemoryPerBlock),
            maxDynamicSharedBytesPerBlock: maxSharedMemoryPerBlockOptin,
            registersPerBlock: registersPerBlock, multiprocessorCount: multiprocessors)
    }
}

/// Why the dp4a executor refused its operands.
public enum Dp4aExecutorError: Error, CustomStringConvertible {
    case shape(String, [Int], [Int])
    case epilogue(String)

    public var description: String {
        switch self {
        case let .shape(name, shape, expected): return "dp4a: \(name) has shape \(shape); expected \(expected)"
        case let .epilogue(reason): return "dp4a: \(reason)"
        }
    }
}
