/// Activation layouts: NCDHW to and from NCDHW[b]c and NDHWC.
///
/// Each conversion takes a tensor in the layout it names, or with a nil layout (read as that layout),
/// checks its rank, and returns a new tensor with `layout` set. Padding channels are zero; unpacking
/// takes the logical channel count C, which the padded tensor no longer records, and drops the padding.
///
/// ```swift
/// let x = try Tensor<Int8>(shape: [1, 6, 4, 8, 8], layout: .ncdhw, repeating: 1)
/// let x4 = try x.packedNCDHWc(block: 4)                  // shape [1, 2, 4, 8, 8, 4], channels 6, 7 zero
/// let back = try x4.unpackedNCDHWc(channels: 6)          // == x
/// let cl = try x.packedNDHWC(channelMultiple: 16)        // shape [1, 4, 8, 8, 16]
/// ```
extension Tensor {
    static var ncdhwDimensions: [String] { ["N", "C", "D", "H", "W"] }
    static var ndhwcDimensions: [String] { ["N", "D", "H", "W", "C"] }
    static var ncdhwcDimensions: [String] { ["N", "C/b", "D", "H", "W", "b"] }

    /// NCDHW `[N, C, D, H, W]` to NCDHW[b]c `[N, ceil(C/b), D, H, W, b]`: channel `c` goes to block
    /// `c / b`, lane `c % b`; the lanes past C in the last block are zero.
    ///
    /// - Parameter block: b, 4 (the four int8 channels one `dp4a` reads) or 32.
    /// - Throws: ``TensorError/invalidBlock(_:)``, ``TensorError/layoutMismatch(expected:actual:)``,
    ///   ``TensorError/rankMismatch(layout:dimensions:shape:)``.
    public func packedNCDHWc(block: Int) throws(TensorError) -> Tensor {
        guard block == 4 || block == 32 else { throw .invalidBlock(block) }
        try requireLayout(.ncdhw, dimensions: Self.ncdhwDimensions)
        let (n, c, d, h, w) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let blocking = ChannelBlocking(
            rows: n, channels: c, spatial: try volume(2..<5), rowBlock: 1, channelBlock: block)
        return try rearranged(
            blocking, .pack, shape: [n, Self.blocks(c, of: block), d, h, w, block], layout: .ncdhwc(block: block))
    }

    /// NCDHW[b]c `[N, ceil(C/b), D, H, W, b]` back to NCDHW `[N, C, D, H, W]`, dropping the padding.
    ///
    /// The block b is the last dimension; a layout, if set, must agree with it.
    /// - Parameter channels: C, the logical channel count: one of the values that packs into
    ///   `ceil(C/b)` blocks.
    /// - Throws: as ``packedNCDHWc(block:)``, and ``TensorError/channelCountMismatch(name:value:expected:layout:shape:)``.
    public func unpackedNCDHWc(channels: Int) throws(TensorError) -> Tensor {
        let packed = try requireBlockedLayout("NCDHW[b]c", dimensions: Self.ncdhwcDimensions) {
            .ncdhwc(block: $0[5])
        }
        let (n, blocks, block) = (shape[0], shape[1], shape[5])
        guard block == 4 || block == 32 else { throw .invalidBlock(block) }
        try requireLogicalCount("channels C", channels, blocks: blocks, of: block, layout: packed)
        let blocking = ChannelBlocking(
            rows: n, channels: channels, spatial: try volume(2..<5), rowBlock: 1, channelBlock: block)
        return try rearranged(blocking, .unpack, shape: [n, channels] + shape[2..<5], layout: .ncdhw)
    }

    /// NCDHW `[N, C, D, H, W]` to NDHWC `[N, D, H, W, Cp]`, channels last, with C padded with zeros up to
    /// Cp, the next multiple of `channelMultiple` (16 for the tensor-core kernels, which read channels
    /// 16 bytes at a time).
    ///
    /// - Parameter channelMultiple: 1 (no padding) to 1024.
    /// - Throws: ``TensorError/outOfRange(name:value:expected:)``,
    ///   ``TensorError/layoutMismatch(expected:actual:)``, ``TensorError/rankMismatch(layout:dimensions:shape:)``.
    public func packedNDHWC(channelMultiple: Int = 1) throws(TensorError) -> Tensor {
        try Self.requireMultiple("channel multiple", channelMultiple)
        try requireLayout(.ncdhw, dimensions: Self.ncdhwDimensions)
        let (n, c, d, h, w) = (shape[0], shape[1], shape[2], shape[3], shape[4])
        let paddedChannels = try Self.padded("channels C", c, toMultipleOf: channelMultiple)
        // One channel block holding every (padded) channel is exactly channels-last.
        let blocking = ChannelBlocking(
            rows: n, channels: c, spatial: try volume(2..<5), rowBlock: 1, channelBlock: max(paddedChannels, 1))
        return try rearranged(blocking, .pack, shape: [n, d, h, w, paddedChannels], layout: .ndhwc)
    }

    /// NDHWC `[N, D, H, W, Cp]` back to NCDHW `[N, C, D, H, W]`, dropping channels C..<Cp.
    ///
    /// - Parameter channels: C, the logical channel count, at most Cp.
    /// - Throws: ``TensorError/layoutMismatch(expected:actual:)``,
    ///   ``TensorError/rankMismatch(layout:dimensions:shape:)``,
    ///   ``TensorError/channelCountMismatch(name:value:expected:layout:shape:)``.
    public func unpackedNDHWC(channels: Int) throws(TensorError) -> Tensor {
        try requireLayout(.ndhwc, dimensions: Self.ndhwcDimensions)
        let (n, paddedChannels) = (shape[0], shape[4])
        try requireLogicalCount("channels C", channels, atMost: paddedChannels, layout: .ndhwc)
        let blocking = ChannelBlocking(
            rows: n, channels: channels, spatial: try volume(1..<4), rowBlock: 1, channelBlock: max(paddedChannels, 1))
        return try rearranged(blocking, .unpack, shape: [n, channels] + shape[1..<4], layout: .ncdhw)
    }
}
