import CUDARuntime
import Kernels

/// A rendered convolution kernel compiled for one device and loaded into its context.
public final class LoadedConvKernel {
    public let source: KernelSource
    public let compiled: CompiledKernel
    private let module: CUDAModule
    private let function: CUDAFunction

    /// NVRTC options for every Q3D kernel: ptxas reports registers and spills into the log.
    public static let compileOptions = ["--std=c++17", "--ptxas-options=-v"]

    /// Compiles through `cache` (on any thread; compiles of different kernels run in parallel).
    public static func compile(_ source: KernelSource, arch: String, cache: ModuleCache) throws -> CompiledKernel {
        try cache.kernel(source: source.text, name: source.name, arch: arch, options: compileOptions)
    }

    /// Loads `compiled` and lets the kernel use the dynamic shared memory its source asks for.
    public init(_ source: KernelSource, compiled: CompiledKernel, context: CUDAContext) throws {
        self.source = source
        self.compiled = compiled
        module = try CUDAModule(context: context, kernel: compiled)
        function = try module.function(named: source.name)
        if source.dynamicSharedBytes > 48 * 1024 { try function.setMaxDynamicSharedMemory(source.dynamicSharedBytes) }
    }

    public func launch(_ arguments: [KernelArgument], stream: CUDAStream? = nil) throws {
        try function.launch(
            grid: (source.grid.x, source.grid.y, source.grid.z), block: (source.block.x, source.block.y, source.block.z),
            sharedBytes: source.dynamicSharedBytes, stream: stream, arguments: arguments)
    }
}
