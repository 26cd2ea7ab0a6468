/// How the dimensions of an activation or a convolution weight are ordered in memory.
///
/// Activations (logical `[N, C, D, H, W]`): `ncdhw`; `ndhwc` (channels-last, what the tensor-core
/// kernels read); `ncdhwc(block:)`, channels split into blocks of 4 or 32 that are innermost, physical
/// shape `[N, ceil(C/b), D, H, W, b]` (what `dp4a` reads: four channels in one 32-bit word).
/// Weights (logical `[K, C, kd, kh, kw]`): `oidhw`; `odhwi` (channels-last); and
/// `oidhwoi(outBlock:inBlock:)`, physical `[ceil(K/bo), ceil(C/bi), kd, kh, kw, bo, bi]`; and, for
/// depthwise weights (`[K, 1, kd, kh, kw]`, one filter per channel), `dhwo`, physical `[kd, kh, kw, Kp]`:
/// taps outside, channels inside, so one tap of consecutive channels is contiguous.
///
/// See Also: ``Tensor/packedNCDHWc(block:)``, ``Tensor/packedNDHWC(channelMultiple:)``,
/// ``Tensor/packedOIDHWoi(outBlock:inBlock:)``, ``Tensor/packedODHWI(outputChannelMultiple:inputChannelMultiple:)``
/// and their `unpacked…` inverses, which convert between these layouts.
public enum Layout: Hashable, Codable, Sendable, CustomStringConvertible {
    case ncdhw
    case ndhwc
    case ncdhwc(block: Int)
    case oidhw
    case odhwi
    case oidhwoi(outBlock: Int, inBlock: Int)
    case dhwo

    public var description: String {
        switch self {
        case .ncdhw: "NCDHW"
        case .ndhwc: "NDHWC"
        case .ncdhwc(let b): "NCDHW\(b)c"
        case .oidhw: "OIDHW"
        case .odhwi: "ODHWI"
        case let .oidhwoi(bo, bi): "OIDHW\(bo)o\(bi)i"
        case .dhwo: "DHWO"
        }
    }
}
