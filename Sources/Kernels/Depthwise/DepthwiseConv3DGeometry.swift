import ConvGeometry

/// A depthwise workload as the depthwise template reads it, with the packed layouts fixed.
///
/// | tensor | layout | shape |
/// |---|---|---|
/// | input | NDHWC | `[N, D, H, W, Cp]`, Cp = roundUp(C, 4) |
/// | weight | DHWO | `[kd, kh, kw, Cp]` (filters past C are zero) |
/// | output, residual | NDHWC | `[N, Do, Ho, Wo, Cp]` |
/// | scale, bias | | `[Cp]` (zero past C, so that the padding channels of the output are 0) |
struct DepthwiseConv3DGeometry: Hashable, Sendable {
    let workload: Conv3DParameters
    /// Channel pitch of every packed tensor: C rounded up to 4.
    let pitch: Int

    /// Throws ``KernelsError/unsupportedWorkload(template:reason:)`` unless groups == C == K, and for
    /// tensors past 32-bit indexing.
    init(_ workload: Conv3DParameters) throws(KernelsError) {
        func unsupported(_ reason: String) -> KernelsError {
            .unsupportedWorkload(template: DepthwiseConv3DTemplate.name, reason: reason)
        }
        guard workload.groups == workload.inputChannels, workload.outputChannels == workload.inputChannels else {
            throw unsupported(
                "groups \(workload.groups), C \(workload.inputChannels), K \(workload.outputChannels): "
                    + "expected a depthwise convolution with groups == C == K")
        }
        do {
            try workload.checkInt8Accumulation()
        } catch {
            throw unsupported(error.description)
        }
        self.workload = workload
        pitch = (workload.inputChannels + 3) / 4 * 4
        let sizes = [("input", inputElements), ("output", outputElements)]
        for (name, elements) in sizes where elements > Int(Int32.max) {
            throw unsupported("the packed \(name) has \(elements) elements; 32-bit indexing allows \(Int32.max)")
        }
    }

    var inputElements: Int { workload.batch * workload.input.volume * pitch }
    var weightElements: Int { workload.kernel.volume * pitch }
    var outputElements: Int { workload.batch * workload.output.volume * pitch }
    /// Bytes a perfect kernel moves for an int8 output: input, weights and output once each.
    var int8Bytes: Int { inputElements + weightElements + outputElements }

    /// The channel vectors (4, 8 or 16 bytes) that divide the pitch.
    var channelWidths: [Int] { DepthwiseConv3DTemplate.channelValues.filter { pitch % $0 == 0 } }

    /// Inputs a thread reads along W for `outputs` consecutive outputs: (t - 1) * stride + (kw - 1) *
    /// dilation + 1.
    func window(outputs: Int) -> Int {
        (outputs - 1) * workload.stride.width + (workload.kernel.width - 1) * workload.dilation.width + 1
    }

    /// `dp4a` instructions per output, channel and filter row with `tap_dp4a`: the row's taps in fours.
    var tapChunks: Int { (workload.kernel.width + 3) / 4 }

    /// Words per channel of the transposed window with `tap_dp4a`: the last output's last chunk ends
    /// at position (outputs - 1) * stride + 4 * chunks, plus one word so that every four-byte window
    /// is a funnel shift of two words held.
    func transposedWords(outputs: Int) -> Int {
        ((outputs - 1) * workload.stride.width + 4 * tapChunks + 3) / 4 + 1
    }

    /// Work items (one per thread): pixels along N, Do, Ho, the W tiles and the channel vectors.
    func items(_ config: DepthwiseConv3DConfig) -> Int {
        let w = workload
        return w.batch * w.output.depth * w.output.height * Self.ceilDiv(w.output.width, config.outputsW)
            * (pitch / max(config.channels, 1))
    }

    func grid(_ config: DepthwiseConv3DConfig) -> Int { Self.ceilDiv(items(config), max(config.threads, 1)) }

    static func ceilDiv(_ value: Int, _ divisor: Int) -> Int { (value + divisor - 1) / divisor }
}
