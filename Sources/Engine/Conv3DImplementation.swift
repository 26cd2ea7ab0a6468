import ConvGeometry
import Kernels
import Tensors

/// One way to compute a convolution, with the conditions under which it is a candidate.
///
/// Conditions are data checked before anything is rendered or run, so an implementation that cannot
/// take a workload is simply left out with its reason; nothing asserts (TVM ran the compute of every
/// candidate first, and one failing check aborted the whole build). A template's shape conditions are
/// the ones its config space reports by throwing ``KernelsError/unsupportedWorkload(template:reason:)``.
///
/// ```swift
/// let dp4a = Conv3DRegistry.standard.implementation(named: "dp4a")!
/// dp4a.rejection(for: query, on: .cuda(arch: .sm61, name: "GTX 1080"))  // nil: a candidate
/// ```
public struct Conv3DImplementation: Sendable {
    /// The name `--impl` takes.
    public let name: String
    public let device: ComputeDevice
    /// Element types it computes.
    public let dtypes: Set<ConvElementType>
    /// The activation layout it reads; operands in another layout are packed before it runs.
    public let layout: Layout
    /// GPU only: the lowest compute capability (61 for dp4a, 80 for mma.sync int8).
    public let minimumComputeCapability: Int?
    /// GPU only: needs the architecture-specific feature set of this compute capability exactly
    /// (`sm_90a` for wgmma), which runs on that architecture alone.
    public let archSpecificComputeCapability: Int?
    /// Higher runs first when several are candidates and the tuning log does not decide.
    public let priority: Int
    /// False for algorithms whose int8 results can differ from the exact ones (Winograd, FFT, fp16
    /// accumulation): int8 never routes to them.
    public let isExact: Bool
    /// True when the implementation is a kernel template with a config space in ``KernelCatalog``.
    public let isTemplate: Bool
    /// Set for a slot kept for an implementation not written yet: why it is never a candidate.
    public let missing: String?
    /// Shape conditions: nil when the workload is accepted, else why not.
    let shapeCheck: @Sendable (Conv3DParameters, GPUArchitecture?) -> String?

    public init(
        name: String, device: ComputeDevice, dtypes: Set<ConvElementType>, layout: Layout,
        minimumComputeCapability: Int? = nil, archSpecificComputeCapability: Int? = nil, priority: Int,
        isExact: Bool = true, isTemplate: Bool = false, missing: String? = nil,
        shapeCheck: @escaping @Sendable (Conv3DParameters, GPUArchitecture?) -> String? = { _, _ in nil }
    ) {
        self.name = name
        self.device = device
        self.dtypes = dtypes
        self.layout = layout
        self.minimumComputeCapability = minimumComputeCapability
        self.archSpecificComputeCapability = archSpecificComputeCapability
        self.priority = priority
        self.isExact = isExact
        self.isTemplate = isTemplate
        self.missing = missing
        self.shapeCheck = shapeCheck
    }

    /// Why this implementation is not a candidate for `query` on `environment`, or nil when it is.
    /// Conditions are checked cheapest first; the first that fails is the reason.
    public func rejection(for query: Conv3DQuery, on environment: DeviceEnvironment) -> String? {
        if let missing { return missing }
        guard dtypes.contains(query.dtype) else {
            let accepted = dtypes.map(\.rawValue).sorted().joined(separator: ", ")
            return "computes \(accepted), not \(query.dtype.rawValue)"
        }
        if query.dtype == .int8 && !isExact { return "lossy algorithm; int8 must be exact" }
        if query.dtype == .float32 && query.int8Output { return "int8 output needs int8 operands" }
        if let required = query.layout, required != layout { return "reads \(layout), not \(required)" }
        var arch: GPUArchitecture?
        switch (device, query.device, environment) {
        case (.cpu, .cuda, _): return "runs on the CPU; --device cuda was asked for"
        case (.cuda, .cpu, _): return "runs on CUDA; --device cpu was asked for"
        case (.cuda, _, .cpuOnly(let why)): return "no GPU: \(why)"
        case (.cuda, _, .cuda(let gpu, _)):
            if let minimum = minimumComputeCapability, gpu.computeCapability < minimum {
                return "needs sm_\(minimum) or later; the GPU is \(gpu.nvrtcArchitecture)"
            }
            if let exact = archSpecificComputeCapability, !(gpu.computeCapability == exact && gpu.archSpecific) {
                return "needs sm_\(exact)a; the GPU is \(gpu.nvrtcArchitecture)"
            }
            arch = gpu
        default: break
        }
        return shapeCheck(query.parameters, arch)
    }
}

/// The device a query runs on: what the dispatcher needs to know of it, so that tests can describe
/// any GPU without having one.
public enum DeviceEnvironment: Sendable {
    /// No usable GPU, and why.
    case cpuOnly(reason: String)
    /// GPU 0, its architecture and its name.
    case cuda(arch: GPUArchitecture, name: String)

    public var architecture: GPUArchitecture? {
        if case .cuda(let arch, _) = self { return arch }
        return nil
    }
}
