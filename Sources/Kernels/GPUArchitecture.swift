/// The compute capability of an NVIDIA GPU and the per-block limits that decide whether a kernel
/// configuration can launch on it.
///
/// Templates read these limits when they build their configuration spaces, so that every configuration
/// in a space compiles and launches. The presets hold the documented values of each architecture
/// (CUDA C++ Programming Guide, "Technical Specifications per Compute Capability"); the runtime builds
/// one from the values it reads off a device with ``init(major:minor:archSpecific:maxThreadsPerBlock:maxBlockDimensions:maxGridDimensions:maxStaticSharedBytesPerBlock:maxDynamicSharedBytesPerBlock:registersPerBlock:maxRegistersPerThread:multiprocessorCount:)``.
///
/// ```swift
/// let h100 = GPUArchitecture.sm90
/// h100.nvrtcArchitecture          // "sm_90"
/// GPUArchitecture.sm90a.nvrtcArchitecture  // "sm_90a", for wgmma
/// ```
public struct GPUArchitecture: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Compute capability major version (6 for Pascal, 9 for Hopper).
    public var major: Int
    /// Compute capability minor version.
    public var minor: Int
    /// True for the architecture-specific feature set ("sm_90a"), whose code runs on that exact
    /// architecture only.
    public var archSpecific: Bool
    /// Threads in one block, all dimensions together.
    public var maxThreadsPerBlock: Int
    /// Largest block extent along x, y and z.
    public var maxBlockDimensions: LaunchDimensions
    /// Largest grid extent along x, y and z.
    public var maxGridDimensions: LaunchDimensions
    /// Shared memory one block may declare statically (`__shared__` arrays): 48 KiB on every
    /// architecture, since a kernel needs no attribute to launch with it.
    public var maxStaticSharedBytesPerBlock: Int
    /// Shared memory one block may use once the kernel opts in with
    /// `cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)`.
    public var maxDynamicSharedBytesPerBlock: Int
    /// 32-bit registers available to one block.
    public var registersPerBlock: Int
    /// Registers one thread may use.
    public var maxRegistersPerThread: Int
    /// Streaming multiprocessors on the device, when known (the presets describe no one device).
    public var multiprocessorCount: Int?

    /// Every value given; the runtime calls this with the attributes it reads off a device.
    public init(
        major: Int, minor: Int, archSpecific: Bool = false,
        maxThreadsPerBlock: Int = 1024,
        maxBlockDimensions: LaunchDimensions = LaunchDimensions(x: 1024, y: 1024, z: 64),
        maxGridDimensions: LaunchDimensions = LaunchDimensions(x: 2_147_483_647, y: 65535, z: 65535),
        maxStaticSharedBytesPerBlock: Int = 48 * 1024,
        maxDynamicSharedBytesPerBlock: Int,
        registersPerBlock: Int = 65536,
        maxRegistersPerThread: Int = 255,
        multiprocessorCount: Int? = nil
    ) {
        self.major = major
        self.minor = minor
        self.archSpecific = archSpecific
        self.maxThreadsPerBlock = maxThreadsPerBlock
        self.maxBlockDimensions = maxBlockDimensions
        self.maxGridDimensions = maxGridDimensions
        self.maxStaticSharedBytesPerBlock = maxStaticSharedBytesPerBlock
        self.maxDynamicSharedBytesPerBlock = maxDynamicSharedBytesPerBlock
        self.registersPerBlock = registersPerBlock
        self.maxRegistersPerThread = maxRegistersPerThread
        self.multiprocessorCount = multiprocessorCount
    }

    /// Pascal (GTX 10x0, P40): the first with `dp4a`.
    public static let sm61 = GPUArchitecture(major: 6, minor: 1, maxDynamicSharedBytesPerBlock: 48 * 1024)
    /// Turing (T4, RTX 20x0).
    public static let sm75 = GPUArchitecture(major: 7, minor: 5, maxDynamicSharedBytesPerBlock: 64 * 1024)
    /// Ampere data centre (A100).
    public static let sm80 = GPUArchitecture(major: 8, minor: 0, maxDynamicSharedBytesPerBlock: 163 * 1024)
    /// Ampere consumer (RTX 30x0, A10).
    public static let sm86 = GPUArchitecture(major: 8, minor: 6, maxDynamicSharedBytesPerBlock: 99 * 1024)
    /// Ada (RTX 40x0, L4, L40).
    public static let sm89 = GPUArchitecture(major: 8, minor: 9, maxDynamicSharedBytesPerBlock: 99 * 1024)
    /// Hopper (H100, H200), portable feature set.
    public static let sm90 = GPUArchitecture(major: 9, minor: 0, maxDynamicSharedBytesPerBlock: 227 * 1024)
    /// Hopper with its architecture-specific instructions (`wgmma`, `setmaxnreg`).
    public static let sm90a = GPUArchitecture(
        major: 9, minor: 0, archSpecific: true, maxDynamicSharedBytesPerBlock: 227 * 1024)

    /// The presets, oldest first.
    public static let presets: [GPUArchitecture] = [.sm61, .sm75, .sm80, .sm86, .sm89, .sm90, .sm90a]

    /// The preset whose ``nvrtcArchitecture`` is `name` ("sm_61", "sm_90a", …), or nil.
    public static func preset(named name: String) -> GPUArchitecture? {
        presets.first { $0.nvrtcArchitecture == name }
    }

    /// The value NVRTC takes in `--gpu-architecture=`: "sm_61", "sm_80", "sm_90", "sm_90a".
    public var nvrtcArchitecture: String { "sm_\(major)\(minor)" + (archSpecific ? "a" : "") }

    /// The compute capability as one number: 61, 90.
    public var computeCapability: Int { major * 10 + minor }

    /// True when the `dp4a` instruction exists (compute capability 6.1 and later).
    public var hasDp4a: Bool { computeCapability >= 61 }

    public var description: String { nvrtcArchitecture }
}
