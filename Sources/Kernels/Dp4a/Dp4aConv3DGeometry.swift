import ConvGeometry

/// The quantities of a workload the dp4a template computes with: channel chunks of 4 and the three
/// spatial axes as arrays (depth, height, width).
///
/// Channels are packed four to a 32-bit word (NCDHW4c; OIDHW4o4i for weights), the last chunk padded with
/// zeros, so any C and K work. With groups > 1 each group must own whole chunks — C/groups and K/groups
/// multiples of 4 — because NCDHW4c packs channels without regard to groups: with C/groups = 3, the
/// second chunk would hold channels of two groups.
struct Dp4aConv3DGeometry: Hashable, Sendable {
    let workload: Conv3DParameters
    /// Chunks of 4 output channels in the output tensor: ceil(K/4).
    let outputChunks: Int
    /// Output chunks of one group (all of them when groups == 1).
    let outputChunksPerGroup: Int
    /// Chunks of 4 input channels in the input tensor: ceil(C/4).
    let inputChunks: Int
    /// Input chunks one output channel reduces over: ceil(C/groups/4).
    let reductionChunks: Int
    let input: [Int]
    let output: [Int]
    let kernel: [Int]
    let stride: [Int]
    let dilation: [Int]
    let padBefore: [Int]

    /// Throws ``KernelsError/unsupportedWorkload(template:reason:)`` when the template cannot handle
    /// the workload.
    init(_ workload: Conv3DParameters) throws(KernelsError) {
        func unsupported(_ reason: String) -> KernelsError {
            .unsupportedWorkload(template: Dp4aConv3DTemplate.name, reason: reason)
        }
        let g = workload.groups
        if g > 1 {
            guard workload.inputChannelsPerGroup % 4 == 0, workload.outputChannelsPerGroup % 4 == 0 else {
                throw unsupported(
                    "groups \(g) with C/groups = \(workload.inputChannelsPerGroup) and K/groups = "
                        + "\(workload.outputChannelsPerGroup): with groups > 1 both must be multiples of 4, "
                        + "since NCDHW4c packs channels of different groups into one word otherwise")
            }
        }
        do {
            try workload.checkInt8Accumulation()
        } catch {
            throw unsupported(error.description)
        }
        outputChunks = (workload.outputChannels + 3) / 4
        outputChunksPerGroup = outputChunks / g
        inputChunks = (workload.inputChannels + 3) / 4
        reductionChunks = (workload.inputChannelsPerGroup + 3) / 4
        input = workload.input.array
        output = workload.output.array
        kernel = workload.kernel.array
        stride = workload.stride.array
        dilation = workload.dilation.array
        padBefore = workload.padding.before.array
        self.workload = workload
        // The kernel indexes every tensor with 32-bit ints.
        let sizes = [
            ("input", inputBytes), ("weight", weightBytes), ("int32 output", outputElements * 4),
        ]
        for (name, bytes) in sizes where bytes > Int(Int32.max) {
            throw unsupported("the packed \(name) takes \(bytes) bytes; 32-bit indexing allows \(Int32.max)")
        }
    }

    /// Bytes of the NCDHW4c input: N · ceil(C/4) · D · H · W · 4.
    var inputBytes: Int { workload.batch * inputChunks * workload.input.volume * 4 }
    /// Bytes of the OIDHW4o4i weights: ceil(K/4) · ceil(C/groups/4) · kd · kh · kw · 16.
    var weightBytes: Int { outputChunks * reductionChunks * workload.kernel.volume * 16 }
    /// Elements of the NCDHW4c output: N · ceil(K/4) · Do · Ho · Wo · 4.
    var outputElements: Int { workload.batch * outputChunks * workload.output.volume * 4 }

    /// The extents the four output splits factor: f (chunks of one group), Do, Ho, Wo.
    var outputExtents: [Int] { [outputChunks, output[0], output[1], output[2]] }
    /// The extents the four reduction splits factor: rc (input chunks of one group), kd, kh, kw.
    var reductionExtents: [Int] { [reductionChunks, kernel[0], kernel[1], kernel[2]] }

    /// Input elements a block tile of `tile` outputs reads along spatial axis `axis` (0: depth) for an
    /// inner reduction extent `inner`: (tile - 1)·stride + (inner - 1)·dilation + 1.
    func window(axis: Int, tile: Int, inner: Int) -> Int {
        (tile - 1) * stride[axis] + (inner - 1) * dilation[axis] + 1
    }
}
