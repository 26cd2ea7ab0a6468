import ConvGeometry
import CUDARuntime
import Kernels
import Tensors

/// Runs imma conv3d kernels on a device: packs and uploads a problem once, compiles and loads any
/// configuration of ``ImmaConv3DTemplate`` or ``ImmaWgmmaConv3DTemplate``, launches it, checks it
/// against the CPU and times it.
///
/// ```swift
/// let runner = ImmaConv3DRunner(context: try CUDAContext(ordinal: 0))
/// let operands = try runner.upload(problem)
/// let kernel = try runner.load(workload: problem.workload, kernel: .mmaSync(config), output: problem.int8Output)
/// let launch = try runner.prepare(kernel, operands: operands)
/// let check = try runner.verify(launch, expected: try problem.expected())   // check.passed
/// let timing = try runner.time(launch, warmup: 10, repeats: 50)           // timing.median, ms
/// ```
///
/// All calls use the context's device; call them from one thread at a time (compiling, see
/// ``compile(workload:kernel:output:arch:cache:)``, may run anywhere in parallel).
public final class ImmaConv3DRunner: Sendable {
    public let context: CUDAContext
    public let cache: ModuleCache

    public init(context: CUDAContext, cache: ModuleCache = ModuleCache()) {
        self.context = context
        self.cache = cache
    }

    /// The limits of the runner's device, for ``ImmaConv3DTemplate/space(for:on:)``.
    public var architecture: GPUArchitecture { GPUArchitecture(context.device) }

    /// Packs `problem` into the template's layouts (``ImmaConv3DOperands``) and uploads it.
    public func upload(_ problem: ImmaConv3DProblem) throws(EngineError) -> ImmaConv3DOperands {
        try ImmaConv3DOperands(problem, context: context)
    }

    /// Renders and compiles one configuration of either template for `arch` (the device's, "sm_90a",
    /// unless told). Pure apart from the cache: safe to call from many threads at once.
    public static func compile(
        workload: Conv3DParameters, kernel: ImmaKernelChoice, output: OutputKind, arch: String, cache: ModuleCache
    ) throws(EngineError) -> (source: KernelSource, compiled: CompiledKernel) {
        let source: KernelSource
        do {
            source = try kernel.render(workload: workload, output: output)
        } catch {
            throw .kernels(error)
        }
        do {
            return (source, try LoadedKernel.compile(source, arch: arch, cache: cache))
        } catch {
            throw .cuda(error)
        }
    }

    /// Compiles (through the cache) and loads one configuration.
    public func load(workload: Conv3DParameters, kernel: ImmaKernelChoice, output: OutputKind) throws(EngineError) -> LoadedKernel {
        let (source, compiled) = try Self.compile(
            workload: workload, kernel: kernel, output: output, arch: context.device.arch, cache: cache)
        return try load(source, compiled: compiled)
    }

    /// Loads an already compiled kernel.
    public func load(_ source: KernelSource, compiled: CompiledKernel) throws(EngineError) -> LoadedKernel {
        do {
            return try LoadedKernel(source, compiled: compiled, context: context)
        } catch {
            throw .cuda(error)
        }
    }

    /// Binds `kernel` to `operands`: allocates its output (and, with split-K, its workspace and zeroed
    /// counters) and checks that every parameter has a buffer of the right size.
    public func prepare(_ kernel: LoadedKernel, operands: ImmaConv3DOperands) throws(EngineError) -> ImmaConv3DLaunch {
        try ImmaConv3DLaunch(kernel, operands: operands)
    }

    /// Launches once with every output byte set to `poison` first, and returns the packed output
    /// `[N, Do, Ho, Wo, Kp]` widened to Int32 (int8 outputs are sign-extended).
    public func run(_ launch: ImmaConv3DLaunch, poison: UInt8) throws(EngineError) -> [Int32] {
        do {
            try launch.output.memset8(poison)
            try launch.kernel.launch(launch.arguments)
            try context.synchronize()
            if launch.int8 { return try launch.output.values(of: Int8.self, count: launch.outputElements).map { Int32($0) } }
            return try launch.output.values(of: Int32.self, count: launch.outputElements)
        } catch {
            throw .cuda(error)
        }
    }

    /// Launches twice, with the output poisoned by two different byte patterns, and compares every
    /// element with the CPU: an element that shows each launch's poison was never written; one that
    /// differs between the launches is unstable (a race, or split-K counters not left at zero); the
    /// padding channels K..<Kp must be 0; the others must equal the CPU's int32 sums or requantized
    /// values exactly.
    public func verify(_ launch: ImmaConv3DLaunch, expected: ImmaConv3DExpected) throws(EngineError) -> ImmaConv3DVerification {
        let poisons: (UInt8, UInt8) = (0x5A, 0xA5)
        let first = try run(launch, poison: poisons.0)
        let second = try run(launch, poison: poisons.1)
        return ImmaConv3DVerification(
            first: first, second: second, poisons: poisons, int8: launch.int8, expected: expected,
            workload: launch.operands.workload, outputPitch: launch.operands.outputPitch)
    }

    /// Times `launch`: `warmup` untimed launches, then `repeats` launches each between two events.
    public func time(_ launch: ImmaConv3DLaunch, warmup: Int, repeats: Int) throws(EngineError) -> KernelTiming {
        do {
            return try KernelTimer.time(context: context, warmup: warmup, repeats: repeats) { () throws(CUDAError) in
                try launch.kernel.launch(launch.arguments)
            }
        } catch {
            throw .cuda(error)
        }
    }
}
