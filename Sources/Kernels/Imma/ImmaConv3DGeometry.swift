import ConvGeometry

/// The implicit-GEMM view of a workload as the imma template reads it, with the packed layouts fixed.
///
/// Packed tensors (all channels-last, channel pitches rounded up to 4 so that every pixel starts on a
/// 4-byte boundary, which the 4-byte `cp.async` needs; the padding channels are zero):
///
/// | tensor | layout | shape |
/// |---|---|---|
/// | input | NDHWC | `[N, D, H, W, Cp]`, Cp = roundUp(C, 4) |
/// | weight | ODHWI | `[Kp, kd, kh, kw, Cp]`, Kp = roundUp(K, 4) (filters past K are zero) |
/// | output, residual | NDHWC | `[N, Do, Ho, Wo, Kp]` |
/// | scale, bias | | `[Kp]` (zero past K, so that the padding channels of the output are 0) |
///
/// The GEMM: M = N·Do·Ho·Wo rows (output pixels), Kp columns (output channels), a reduction of
/// Kg = kd·kh·kw·Cp ordered taps-outside, channels-inside, so that the reduction slice a thread copies is
/// contiguous channels of one input pixel (NDHWC) and one weight row is the whole reduction of one filter
/// (ODHWI), contiguous.
///
/// Grouped convolutions (G = `groups` > 1, C/G input and K/G output channels per group) are G
/// independent GEMMs of M rows, K/G columns and a reduction of kd·kh·kw·(C/G), side by side in the
/// same tensors: group g reads input channels g·C/G ..< (g+1)·C/G of the NDHWC input (its pitch is
/// still Cp, the model's), the filters g·K/G ..< (g+1)·K/G of the weights and writes those output
/// channels. The weights are ODHWI `[K, kd, kh, kw, C/G]` without padding: a filter's row is its whole
/// reduction. A group's slices start at channel g·C/G, so C/G must be a multiple of 4 (the narrowest
/// `cp.async`, which needs an aligned source). The output channels K..<Kp (when K is not a multiple
/// of 4) are written as zeros, as in an ungrouped kernel.
///
/// Packed groups (`groupPack` P > 1, which must divide G): P consecutive groups share one GEMM, whose
/// weights are block-diagonal — filter k of group g reads only its own C/G channels among the P·C/G
/// of the GEMM, the others are zero. That is the convolution with G/P groups of P·C/G channels, which
/// has the same result: the kernel is the grouped kernel of G/P groups (the ungrouped one when P = G),
/// over weights `[K, kd, kh, kw, P·C/G]` (`[Kp, kd, kh, kw, Cp]` when P = G) expanded from the
/// convolution's by ``ConvWeights/regrouped(_:parameters:into:)``. It multiplies P times the useful
/// products, and pays where the groups are too narrow for the tensor cores: 32 groups of 8 channels
/// give 8-column GEMMs over 216-byte reductions, 8 of them packed give 64 columns over 1,728 bytes.
struct ImmaConv3DGeometry: Hashable, Sendable {
    /// The convolution as the model has it (its `groups` is G, not the kernel's G/P).
    let workload: Conv3DParameters
    /// Groups of the convolution that share one GEMM (1: one GEMM per group).
    let groupPack: Int
    /// GEMMs side by side: G / groupPack (1 for an ungrouped kernel).
    let groups: Int
    /// Channel pitch of the packed input: C rounded up to 4.
    let inputPitch: Int
    /// Channel pitch of the packed output, residual, weights' filter count, scale and bias: K rounded up to 4.
    let outputPitch: Int
    /// GEMM rows: N·Do·Ho·Wo.
    let m: Int
    /// Reduction length: kd·kh·kw·Cp, or kd·kh·kw·(C/G) for a grouped convolution.
    let reduction: Int
    /// Bytes of the widest `cp.async` (16, 8 or 4) that tiles a weight row: it must divide Kg, so that
    /// every copy starts aligned in every row.
    let weightVectorBytes: Int

    /// Widths of `cp.async` the template can use, in bytes.
    static let vectorWidths = [4, 8, 16]

    /// Throws ``KernelsError/unsupportedWorkload(template:reason:)`` for grouped convolutions whose
    /// C/G is not a multiple of 4 (depthwise among them), reductions that could overflow int32, and
    /// tensors past 32-bit indexing.
    init(_ workload: Conv3DParameters, groupPack: Int = 1) throws(KernelsError) {
        func unsupported(_ reason: String) -> KernelsError {
            .unsupportedWorkload(template: ImmaConv3DTemplate.name, reason: reason)
        }
        guard groupPack >= 1, workload.groups % groupPack == 0 else {
            throw unsupported("group_pack \(groupPack) does not divide the \(workload.groups) groups")
        }
        let groups = workload.groups / groupPack
        let groupChannels = workload.inputChannelsPerGroup * groupPack
        guard groups == 1 || groupChannels % 4 == 0 else {
            if groupPack > 1 {
                throw unsupported(
                    "group_pack \(groupPack): \(groupPack) x C/G = \(groupChannels) input channels per GEMM; its activation "
                        + "copies need a multiple of 4")
            }
            throw unsupported(
                "groups \(workload.groups): C/G = \(groupChannels) input channels per group; a group's activation "
                    + "copies start at channel g*C/G, which a 4-, 8- or 16-byte cp.async reaches only when C/G is a multiple of 4")
        }
        do {
            try workload.checkInt8Accumulation()
        } catch {
            throw unsupported(error.description)
        }
        self.workload = workload
        self.groupPack = groupPack
        self.groups = groups
        inputPitch = Self.roundUp(workload.inputChannels, 4)
        outputPitch = Self.roundUp(workload.outputChannels, 4)
        let reduction = workload.kernel.volume * (groups == 1 ? inputPitch : groupChannels)
        m = workload.batch * workload.output.volume
        self.reduction = reduction
        weightVectorBytes = Self.vectorWidths.reversed().first { reduction % $0 == 0 } ?? 4
        // The kernel indexes every tensor with 32-bit ints (elements, not bytes).
        let sizes = [
            ("input", workload.batch * workload.input.volume * inputPitch),
            ("weight", (groups == 1 ? outputPitch : workload.outputChannels) * reduction),
            ("output", m * outputPitch),
        ]
        for (name, elements) in sizes where elements > Int(Int32.max) {
            throw unsupported("the packed \(name) has \(elements) elements; 32-bit indexing allows \(Int32.max)")
        }
    }

    /// Elements of the packed input `[N, D, H, W, Cp]`.
    var inputElements: Int { workload.batch * workload.input.volume * inputPitch }
    /// Elements of the packed weights `[Kp, kd, kh, kw, Cp]` (`[K, kd, kh, kw, C/G]` when grouped).
    var weightElements: Int { weightRows * reduction }
    /// Elements of the packed output (and residual) `[N, Do, Ho, Wo, Kp]`.
    var outputElements: Int { m * outputPitch }
    /// Filter taps kd·kh·kw.
    var taps: Int { workload.kernel.volume }

    /// Whether the GEMM is one per group (the kernel then decodes a group from its n-tile).
    var isGrouped: Bool { groups > 1 }
    /// Channels of one filter tap in the reduction: the input pitch Cp, or P·C/G when grouped.
    var reductionChannels: Int { isGrouped ? workload.inputChannelsPerGroup * groupPack : inputPitch }
    /// Columns of one group's GEMM: the output pitch Kp, or P·K/G when grouped.
    var groupColumns: Int { isGrouped ? workload.outputChannelsPerGroup * groupPack : outputPitch }
    /// Rows (filters) of the packed weights: Kp, or K when grouped (a group's tile never reads past
    /// its own filters).
    var weightRows: Int { isGrouped ? workload.outputChannels : outputPitch }

    /// The `cp.async` widths that divide the channels of a tap in the reduction: a copy never straddles
    /// two pixels (or two groups).
    var inputVectorWidths: [Int] { Self.vectorWidths.filter { reductionChannels % $0 == 0 } }

    /// What an activation copy of `bytes` must divide, in words: the input channel pitch, or the
    /// channels of a group.
    var vectorExtentName: String { isGrouped ? "input channels per group (C/G)" : "input channel pitch" }

    /// The rule an activation copy of `bytes` breaks when it does not divide ``reductionChannels``.
    func inputVectorViolation(_ bytes: Int) -> ImmaConv3DViolation {
        isGrouped ? .groupInputVector(bytes: bytes, channels: reductionChannels) : .inputVector(bytes: bytes, pitch: inputPitch)
    }

    static func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }
    static func ceilDiv(_ value: Int, _ divisor: Int) -> Int { (value + divisor - 1) / divisor }
}
