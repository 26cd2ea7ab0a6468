import CCUDA

/// A CUDA device and the properties kernels are sized by, read once when the value is made.
///
/// ```swift
/// let device = try CUDADevice(ordinal: 0)
/// let kernel = try NVRTC.compile(source: source, name: "conv", arch: device.arch)
/// ```
public struct CUDADevice: Sendable, Hashable, CustomStringConvertible {
    public let ordinal: Int
    public let name: String
    public let computeCapability: ComputeCapability
    /// Global memory in bytes.
    public let totalMemory: Int
    public let multiprocessors: Int
    public let warpSize: Int
    public let maxThreadsPerBlock: Int
    public let maxThreadsPerMultiprocessor: Int
    /// Shared memory a block gets without opting in (48 KiB).
    public let maxSharedMemoryPerBlock: Int
    /// Shared memory a block may use after ``CUDAFunction/setMaxDynamicSharedMemory(_:)`` (227 KiB on sm_90).
    public let maxSharedMemoryPerBlockOptin: Int
    public let maxSharedMemoryPerMultiprocessor: Int
    /// 32-bit registers available to one block.
    public let registersPerBlock: Int
    public let registersPerMultiprocessor: Int
    public let l2CacheBytes: Int
    /// The peak SM clock in kHz; nil where the driver no longer reports it.
    public let clockRateKHz: Int?
    /// The peak memory clock in kHz; nil where the driver no longer reports it.
    public let memoryClockRateKHz: Int?
    public let memoryBusWidthBits: Int?
    /// The driver's handle (`CUdevice`).
    let handle: ccuda_device

    /// Reads device `ordinal` (0 for the first).
    public init(ordinal: Int) throws(CUDAError) {
        let api = try CUDADriver.entryPoints().api
        let count = try CUDADriver.deviceCount()
        guard ordinal >= 0 && ordinal < count else {
            throw .noDevice(reason: "device \(ordinal) asked for; this machine has \(count)")
        }
        var handle: ccuda_device = 0
        try CUDADriver.check(api.cuDeviceGet(&handle, Int32(ordinal)), "cuDeviceGet")
        var nameBuffer = [CChar](repeating: 0, count: 256)
        try CUDADriver.check(api.cuDeviceGetName(&nameBuffer, Int32(nameBuffer.count), handle), "cuDeviceGetName")
        var bytes = 0
        try CUDADriver.check(api.cuDeviceTotalMem(&bytes, handle), "cuDeviceTotalMem")

        func attribute(_ attribute: ccuda_device_attribute) throws(CUDAError) -> Int {
            var value: Int32 = 0
            try CUDADriver.check(api.cuDeviceGetAttribute(&value, attribute, handle), "cuDeviceGetAttribute(\(attribute.rawValue))")
            return Int(value)
        }
        self.ordinal = ordinal
        self.handle = handle
        name = String(nulTerminated: nameBuffer)
        totalMemory = bytes
        computeCapability = ComputeCapability(
            major: try attribute(CCUDA_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
            minor: try attribute(CCUDA_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR))
        multiprocessors = try attribute(CCUDA_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        warpSize = try attribute(CCUDA_DEVICE_ATTRIBUTE_WARP_SIZE)
        maxThreadsPerBlock = try attribute(CCUDA_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK)
        maxThreadsPerMultiprocessor = try attribute(CCUDA_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR)
        maxSharedMemoryPerBlock = try attribute(CCUDA_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK)
        maxSharedMemoryPerBlockOptin = try attribute(CCUDA_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)
        maxSharedMemoryPerMultiprocessor = try attribute(CCUDA_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR)
        registersPerBlock = try attribute(CCUDA_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK)
        registersPerMultiprocessor = try attribute(CCUDA_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR)
        l2CacheBytes = try attribute(CCUDA_DEVICE_ATTRIBUTE_L2_CACHE_SIZE)
        // Clocks are deprecated attributes in recent drivers: read them when they answer.
        clockRateKHz = try? attribute(CCUDA_DEVICE_ATTRIBUTE_CLOCK_RATE)
        memoryClockRateKHz = try? attribute(CCUDA_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE)
        memoryBusWidthBits = try? attribute(CCUDA_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH)
    }

    /// Every device of the machine, in ordinal order.
    public static func all() throws(CUDAError) -> [CUDADevice] {
        var devices: [CUDADevice] = []
        for ordinal in 0..<(try CUDADriver.deviceCount()) {
            devices.append(try CUDADevice(ordinal: ordinal))
        }
        return devices
    }

    /// The architecture to compile for: the architecture-specific variant from compute capability 9.0
    /// on ("sm_90a", which `wgmma` needs), the plain one before ("sm_80").
    public var arch: String { computeCapability.arch }

    /// The plain architecture ("sm_90"), whose CUBIN lacks the architecture-specific instructions.
    public var baseArch: String { computeCapability.baseArch }

    /// "NVIDIA H100 80GB HBM3 (device 0, sm_90a, 132 SMs, 79.1 GiB)".
    public var description: String {
        let gibibytes = Double(totalMemory) / Double(1 << 30)
        let rounded = (gibibytes * 10).rounded() / 10
        return "\(name) (device \(ordinal), \(arch), \(multiprocessors) SMs, \(rounded) GiB)"
    }
}

/// A compute capability: 9.0 for the H100, 8.0 for the A100, 6.1 for Pascal's dp4a.
public struct ComputeCapability: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static func < (lhs: ComputeCapability, rhs: ComputeCapability) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// "sm_90a" from 9.0 on (architecture-specific features: `wgmma`, `setmaxnreg`), else "sm_86".
    public var arch: String { major >= 9 ? "\(baseArch)a" : baseArch }

    /// "sm_90".
    public var baseArch: String { "sm_\(major)\(minor)" }

    /// "9.0".
    public var description: String { "\(major).\(minor)" }
}
