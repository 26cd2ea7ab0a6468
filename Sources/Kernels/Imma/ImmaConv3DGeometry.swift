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
struct ImmaConv3DGeometry: Hashable, Sendable {
    let workload: Conv3DParameters
    /// Channel pitch of the packed input: C rounded up to 4.
    let inputPitch: Int
    /// Channel pitch of the packed output, residual, weights' filter count, scale and bias: K rounded up to 4.
    let outputPitch: Int
    /// GEMM rows: N·Do·Ho·Wo.
    let m: Int
    /// Reduction length: kd·kh·kw·Cp.
    let reduction: Int
    /// Bytes of the widest `cp.async` (16, 8 or 4) that tiles a weight row: it must divide Kg, so that
    /// every copy starts aligned in every row.
    let weightVectorBytes: Int

    /// Widths of `cp.async` the template can use, in bytes.
    static let vectorWidths = [4, 8, 16]

    /// Throws ``KernelsError/unsupportedWorkload(template:reason:)`` for grouped convolutions, reductions
    /// that could overflow int32, and tensors past 32-bit indexing.
    init(_ workload: Conv3DParameters) throws(KernelsError) {
        func unsupported(_ reason: String) -> KernelsError {
            .unsupportedWorkload(template: ImmaConv3DTemplate.name, reason: reason)
        }
        guard workload.groups == 1 else {
            throw unsupported("groups \(workload.groups): the implicit GEMM reduces over all input channels; expected 1")
        }
        do {
            try workload.checkInt8Accumulation()
        } catch {
            throw unsupported(error.description)
        }
        self.workload = workload
        inputPitch = Self.roundUp(workload.inputChannels, 4)
        outputPitch = Self.roundUp(workload.outputChannels, 4)
        let reduction = workload.kernel.volume * inputPitch
        m = workload.batch * workload.output.volume
        self.reduction = reduction
        weightVectorBytes = Self.vectorWidths.reversed().first { reduction % $0 == 0 } ?? 4
        // The kernel indexes every tensor with 32-bit ints (elements, not bytes).
        let sizes = [
            ("input", workload.batch * workload.input.volume * inputPitch),
            ("weight", outputPitch * reduction),
            ("output", m * outputPitch),
        ]
        for (name, elements) in sizes where elements > Int(Int32.max) {
            throw unsupported("the packed \(name) has \(elements) elements; 32-bit indexing allows \(Int32.max)")
        }
    }

    /// Elements of the packed input `[N, D, H, W, Cp]`.
    var inputElements: Int { workload.batch * workload.input.volume * inputPitch }
    /// Elements of the packed weights `[Kp, kd, kh, kw, Cp]`.
    var weightElements: Int { outputPitch * reduction }
    /// Elements of the packed output (and residual) `[N, Do, Ho, Wo, Kp]`.
    var outputElements: Int { m * outputPitch }
    /// Filter taps kd·kh·kw.
    var taps: Int { workload.kernel.volume }

    /// The `cp.async` widths that divide the input pitch: a copy never straddles two pixels.
    var inputVectorWidths: [Int] { Self.vectorWidths.filter { inputPitch % $0 == 0 } }

    static func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }
    static func ceilDiv(_ value: Int, _ divisor: Int) -> Int { (value + divisor - 1) / divisor }
}
