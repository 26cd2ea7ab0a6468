import CCPUKernels

/// What the running CPU offers the convolution kernels, detected once per process.
///
/// ```swift
/// let cpu = CPUFeatures.current
/// cpu.activeCores                 // 2
/// cpu.bestInstructionSet          // .avx2
/// ```
public struct CPUFeatures: Hashable, Sendable, CustomStringConvertible {
    /// Cores this process may run on (its affinity mask), at least 1.
    public var activeCores: Int
    public var avx2: Bool
    public var fma: Bool
    public var avx512f: Bool
    /// AVX-512 VNNI (`vpdpwssd` and `vpdpbusd` on zmm registers).
    public var avx512vnni: Bool
    /// AVX-VNNI (the same dot products on ymm registers, without AVX-512).
    public var avxVNNI: Bool

    public init(activeCores: Int, avx2: Bool, fma: Bool, avx512f: Bool, avx512vnni: Bool, avxVNNI: Bool) {
        self.activeCores = activeCores
        self.avx2 = avx2
        self.fma = fma
        self.avx512f = avx512f
        self.avx512vnni = avx512vnni
        self.avxVNNI = avxVNNI
    }

    /// The features of this machine.
    public static let current: CPUFeatures = {
        let f = q3d_detect_cpu_features()
        return CPUFeatures(
            activeCores: max(1, Int(f.active_cores)), avx2: f.avx2 != 0, fma: f.fma != 0,
            avx512f: f.avx512f != 0, avx512vnni: f.avx512vnni != 0, avxVNNI: f.avxvnni != 0)
    }()

    /// Whether the kernels of `set` can run here.
    public func supports(_ set: CPUInstructionSet) -> Bool {
        switch set {
        case .scalar: true
        case .avx2: avx2 && fma
        }
    }

    /// The fastest instruction set the kernels have for this CPU.
    public var bestInstructionSet: CPUInstructionSet {
        supports(.avx2) ? .avx2 : .scalar
    }

    public var description: String {
        let flags = [
            ("avx2", avx2), ("fma", fma), ("avx512f", avx512f), ("avx512vnni", avx512vnni), ("avxvnni", avxVNNI),
        ]
        let present = flags.filter(\.1).map(\.0)
        return "\(activeCores) core\(activeCores == 1 ? "" : "s"), "
            + (present.isEmpty ? "no vector extensions the kernels use" : present.joined(separator: " "))
    }
}
