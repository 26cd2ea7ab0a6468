import ConvGeometry

extension ImmaConv3DGeometry {
    /// The implicit-GEMM view of an fp16 workload, in bytes: the `mma.sync` fp16 kernel
    /// (``HmmaConv3DTemplate``) moves and swizzles its operands exactly as the int8 one does, two bytes
    /// per channel, so the int8 loaders, tiling and rules apply unchanged to byte counts.
    ///
    /// | tensor | layout | shape (elements) |
    /// |---|---|---|
    /// | input | NDHWC fp16 | `[N, D, H, W, Cp]`, Cp = roundUp(C, 2): 4-byte pixels for the smallest `cp.async` |
    /// | weight | ODHWI fp16 | `[Kp, kd, kh, kw, Cp]`, Kp = roundUp(K, 4) (filters past K are zero) |
    /// | output | NDHWC float32 or fp16 | `[N, Do, Ho, Wo, Kp]` |
    /// | bias | float32 | `[Kp]` (zero past K) |
    ///
    /// `inputPitch` and `reduction` (kd·kh·kw·Cp·2) count bytes; `outputPitch` counts channels.
    init(halfPrecision workload: Conv3DParameters) throws(KernelsError) {
        func unsupported(_ reason: String) -> KernelsError {
            .unsupportedWorkload(template: HmmaConv3DTemplate.name, reason: reason)
        }
        guard workload.groups == 1 else {
            throw unsupported("groups \(workload.groups): the implicit GEMM reduces over all input channels; expected 1")
        }
        self.workload = workload
        groupPack = 1
        groups = 1
        inputPitch = 2 * Self.roundUp(workload.inputChannels, 2)
        outputPitch = Self.roundUp(workload.outputChannels, 4)
        let reduction = workload.kernel.volume * inputPitch
        m = workload.batch * workload.output.volume
        self.reduction = reduction
        weightVectorBytes = Self.vectorWidths.reversed().first { reduction % $0 == 0 } ?? 4
        // The kernel indexes the byte views of its operands with 32-bit ints, and float outputs in elements.
        let sizes = [
            ("input", workload.batch * workload.input.volume * inputPitch),
            ("weight", outputPitch * reduction),
            ("output", m * outputPitch * 4),
        ]
        for (name, bytes) in sizes where bytes > Int(Int32.max) {
            throw unsupported("the packed \(name) has \(bytes) bytes; 32-bit byte indexing allows \(Int32.max)")
        }
    }
}
