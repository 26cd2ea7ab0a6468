import CCPUKernels

/// The instruction sets the fast CPU kernels are written for.
///
/// `avx2` needs AVX2 and FMA (int8 through `vpmaddwd`, float through `vfmadd`); `scalar` is portable C
/// that runs anywhere and computes the same results (bit for bit for int8). The raw value is what
/// reports print.
public enum CPUInstructionSet: String, Hashable, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case scalar
    case avx2

    /// The fastest set this machine supports; what the kernels use unless told otherwise.
    public static var best: CPUInstructionSet { CPUFeatures.current.bestInstructionSet }

    public var description: String { rawValue }

    /// The C side's code for this set.
    var kernelCode: Int32 {
        switch self {
        case .scalar: Int32(Q3D_ISA_SCALAR)
        case .avx2: Int32(Q3D_ISA_AVX2)
        }
    }
}
