import CCUDA

/// A CUBIN loaded into a context (`cuModuleLoadData`), unloaded with the object. Its functions hold it,
/// so a module lives as long as any of its functions.
///
/// ```swift
/// let module = try CUDAModule(context: context, kernel: try NVRTC.compile(source: source, name: "conv", arch: device.arch))
/// let conv = try module.function(named: "conv")
/// ```
public final class CUDAModule: @unchecked Sendable {
    public let context: CUDAContext
    /// What the module is called in errors: the kernel's name, architecture and NVRTC.
    public let label: String
    let handle: ccuda_module

    /// Loads `cubin`; `label` names it in errors.
    public init(context: CUDAContext, cubin: [UInt8], label: String = "module") throws(CUDAError) {
        guard !cubin.isEmpty else { throw .invalidArgument("module '\(label)': empty CUBIN") }
        self.context = context
        self.label = label
        var module: ccuda_module?
        try context.call("cuModuleLoadData", kernel: label) { api in
            cubin.withUnsafeBytes { api.cuModuleLoadData(&module, $0.baseAddress!) }
        }
        guard let module else { throw .invalidArgument("module '\(label)': cuModuleLoadData gave no module") }
        handle = module
    }

    /// Loads a compiled kernel's CUBIN. A CUBIN for another architecture than the device's, or from an
    /// NVRTC newer than the driver understands, fails here with the driver's error
    /// (`CUDA_ERROR_NO_BINARY_FOR_GPU`, `CUDA_ERROR_INVALID_IMAGE`...), which names both.
    public convenience init(context: CUDAContext, kernel: CompiledKernel) throws(CUDAError) {
        try self.init(
            context: context, cubin: kernel.cubin,
            label: "\(kernel.name), \(kernel.arch) CUBIN from NVRTC \(kernel.nvrtcVersion), "
                + "device \(context.device.arch)")
    }

    deinit {
        let handle = handle
        context.release { $0.cuModuleUnload(handle) }
    }

    /// The kernel `name` (its symbol: declare kernels `extern "C"` to keep names unmangled).
    public func function(named name: String) throws(CUDAError) -> CUDAFunction {
        var function: ccuda_function?
        let handle = handle
        try context.call("cuModuleGetFunction(\"\(name)\")", kernel: label) { $0.cuModuleGetFunction(&function, handle, name) }
        guard let function else { throw .invalidArgument("module '\(label)': no function '\(name)'") }
        return CUDAFunction(module: self, name: name, handle: function)
    }
}
