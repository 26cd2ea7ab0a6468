import CUDARuntime
import Kernels

/// A rendered kernel compiled for a device and loaded into its context: what a runner launches.
///
/// Compilation goes through a ``ModuleCache`` (memory and disk, keyed by source, architecture, options
/// and NVRTC version) and can run on any thread, in parallel; loading happens on the context.
///
/// ```swift
/// let compiled = try LoadedKernel.compile(source, arch: context.device.arch, cache: cache)
/// let kernel = try LoadedKernel(source, compiled: compiled, context: context)
/// try kernel.launch(arguments)
/// ```
public struct LoadedKernel: Sendable {
    public let source: KernelSource
    public let compiled: CompiledKernel
    public let function: CUDAFunction
    /// What the driver reports: registers, local (spill) bytes, shared memory.
    public let attributes: CUDAFunctionAttributes

    /// C++17, device code by default, and ptxas's report (registers, spills) in the log.
    public static let defaultOptions = ["--std=c++17", "-default-device", "--ptxas-options=-v"]

    /// Compiles `source` for `arch` ("sm_90a") through `cache`.
    public static func compile(
        _ source: KernelSource, arch: String, cache: ModuleCache, options: [String] = defaultOptions
    ) throws(CUDAError) -> CompiledKernel {
        try cache.kernel(source: source.text, name: source.name, arch: arch, options: options)
    }

    /// Loads `compiled` into `context` and, when the kernel asks for more than the 48 KiB every block
    /// gets, raises its `MAX_DYNAMIC_SHARED_SIZE_BYTES` to `source.dynamicSharedBytes`.
    public init(_ source: KernelSource, compiled: CompiledKernel, context: CUDAContext) throws(CUDAError) {
        let module = try CUDAModule(context: context, kernel: compiled)
        let function = try module.function(named: source.name)
        if source.dynamicSharedBytes > 48 * 1024 { try function.setMaxDynamicSharedMemory(source.dynamicSharedBytes) }
        self.source = source
        self.compiled = compiled
        self.function = function
        self.attributes = try function.attributes()
    }

    /// Compiles (through `cache`) for the device of `context` and loads.
    public init(
        _ source: KernelSource, context: CUDAContext, cache: ModuleCache, options: [String] = defaultOptions
    ) throws(CUDAError) {
        let compiled = try Self.compile(source, arch: context.device.arch, cache: cache, options: options)
        try self.init(source, compiled: compiled, context: context)
    }

    /// Queues one launch with the source's grid, block and dynamic shared memory.
    public func launch(_ arguments: [KernelArgument], stream: CUDAStream? = nil) throws(CUDAError) {
        let (g, b) = (source.grid, source.block)
        try function.launch(
            grid: (g.x, g.y, g.z), block: (b.x, b.y, b.z), sharedBytes: source.dynamicSharedBytes, stream: stream,
            arguments: arguments)
    }
}
