/// Weight layouts: OIDHW to and from OIDHW[bo]o[bi]i and ODHWI.
///
/// As with activations, each conversion takes a tensor in the layout it names or with a nil layout,
/// checks its rank, returns a new tensor with `layout` set, pads with zeros, and unpacking takes the
/// logical counts K and C and drops the padding.
///
/// ```swift
/// let w = try Tensor<Int8>(shape: [6, 3, 3, 3, 3], layout: .oidhw, repeating: 1)
/// let w4 = try w.packedOIDHWoi(outBlock: 4, inBlock: 4)   // shape [2, 1, 3, 3, 3, 4, 4]
/// let wl = try w.packedODHWI(inputChannelMultiple: 16)    // shape [6, 3, 3, 3, 16]
/// let back = try wl.unpackedODHWI(outputChannels: 6, inputChannels: 3)   // == w
/// ```
extension Tensor {
    static var oidhwDimensions: [String] { ["K", "C", "kd", "kh", "kw"] }
    static var odhwiDimensions: [String] { ["K", "kd", "kh", "kw", "C"] }
    static var oidhwoiDimensions: [String] { ["K/bo", "C/bi", "kd", "kh", "kw", "bo", "bi"] }

    /// OIDHW `[K, C, kd, kh, kw]` to OIDHW[bo]o[bi]i `[ceil(K/bo), ceil(C/bi), kd, kh, kw, bo, bi]`:
    /// filter `k`, channel `c` go to block `(k / bo, c / bi)`, position `(k % bo, c % bi)` within it;
    /// the positions past K or C are zero.
    ///
    /// - Parameters:
    ///   - outBlock: bo, filters per block, 1 to 1024.
    ///   - inBlock: bi, input channels per block, 1 to 1024.
    /// - Throws: ``TensorError/outOfRange(name:value:expected:)``,
    ///   ``TensorError/layoutMismatch(expected:actual:)``, ``TensorError/rankMismatch(layout:dimensions:shape:)``.
    public func packedOIDHWoi(outBlock: Int, inBlock: Int) throws(TensorError) -> Tensor {
        try Self.requireMultiple("output channel block bo", outBlock)
        try Self.requireMultiple("input channel block bi", inBlock)
        try requireLayout(.oidhw, dimensions: Self.oidhwDimensions)
        let (k, c) = (shape[0], shape[1])
        let blocking = ChannelBlocking(
            rows: k, channels: c, spatial: try volume(2..<5), rowBlock: outBlock, channelBlock: inBlock)
        let packedShape = [Self.blocks(k, of: outBlock), Self.blocks(c, of: inBlock)] + shape[2..<5] + [outBlock, inBlock]
        return try rearranged(blocking, .pack, shape: packedShape, layout: .oidhwoi(outBlock: outBlock, inBlock: inBlock))
    }

    /// OIDHW[bo]o[bi]i `[ceil(K/bo), ceil(C/bi), kd, kh, kw, bo, bi]` back to OIDHW `[K, C, kd, kh, kw]`,
    /// dropping the padding.
    ///
    /// The blocks bo and bi are the last two dimensions; a layout, if set, must agree with them.
    /// - Parameters:
    ///   - outputChannels: K, one of the values that packs into `ceil(K/bo)` blocks.
    ///   - inputChannels: C, one of the values that packs into `ceil(C/bi)` blocks.
    /// - Throws: as ``packedOIDHWoi(outBlock:inBlock:)``, and
    ///   ``TensorError/channelCountMismatch(name:value:expected:layout:shape:)``.
    public func unpackedOIDHWoi(outputChannels: Int, inputChannels: Int) throws(TensorError) -> Tensor {
        let packed = try requireBlockedLayout("OIDHW[bo]o[bi]i", dimensions: Self.oidhwoiDimensions) {
            .oidhwoi(outBlock: $0[5], inBlock: $0[6])
        }
        let (outBlocks, inBlocks, outBlock, inBlock) = (shape[0], shape[1], shape[5], shape[6])
        try Self.requireMultiple("output channel block bo", outBlock)
        try Self.requireMultiple("input channel block bi", inBlock)
        try requireLogicalCount("output channels K", outputChannels, blocks: outBlocks, of: outBlock, layout: packed)
        try requireLogicalCount("input channels C", inputChannels, blocks: inBlocks, of: inBlock, layout: packed)
        let blocking = ChannelBlocking(
            rows: outputChannels, channels: inputChannels, spatial: try volume(2..<5),
            rowBlock: outBlock, channelBlock: inBlock)
        return try rearranged(blocking, .unpack, shape: [outputChannels, inputChannels] + shape[2..<5], layout: .oidhw)
    }

    /// OIDHW `[K, C, kd, kh, kw]` to ODHWI `[Kp, kd, kh, kw, Cp]`, input channels last, with K padded
    /// with zero filters up to a multiple of `outputChannelMultiple` and C with zero channels up to a
    /// multiple of `inputChannelMultiple`.
    ///
    /// - Parameters:
    ///   - outputChannelMultiple: 1 (no padding) to 1024.
    ///   - inputChannelMultiple: 1 (no padding) to 1024.
    /// - Throws: ``TensorError/outOfRange(name:value:expected:)``,
    ///   ``TensorError/layoutMismatch(expected:actual:)``, ``TensorError/rankMismatch(layout:dimensions:shape:)``.
    public func packedODHWI(outputChannelMultiple: Int = 1, inputChannelMultiple: Int = 1) throws(TensorError) -> Tensor {
        try Self.requireMultiple("output channel multiple", outputChannelMultiple)
        try Self.requireMultiple("input channel multiple", inputChannelMultiple)
        try requireLayout(.oidhw, dimensions: Self.oidhwDimensions)
        let (k, c) = (shape[0], shape[1])
        let paddedK = try Self.padded("output channels K", k, toMultipleOf: outputChannelMultiple)
        let paddedC = try Self.padded("input channels C", c, toMultipleOf: inputChannelMultiple)
        // One channel block holding every (padded) channel is channels-last; the filters past K are the
        // zero rows after the data.
        let blocking = ChannelBlocking(
            rows: k, channels: c, spatial: try volume(2..<5), rowBlock: 1, channelBlock: max(paddedC, 1))
        return try rearranged(blocking, .pack, shape: [paddedK] + shape[2..<5] + [paddedC], layout: .odhwi)
    }

    /// ODHWI `[Kp, kd, kh, kw, Cp]` back to OIDHW `[K, C, kd, kh, kw]`, dropping filters K..<Kp and
    /// channels C..<Cp.
    ///
    /// - Parameters:
    ///   - outputChannels: K, at most Kp.
    ///   - inputChannels: C, at most Cp.
    /// - Throws: ``TensorError/layoutMismatch(expected:actual:)``,
    ///   ``TensorError/rankMismatch(layout:dimensions:shape:)``,
    ///   ``TensorError/channelCountMismatch(name:value:expected:layout:shape:)``.
    public func unpackedODHWI(outputChannels: Int, inputChannels: Int) throws(TensorError) -> Tensor {
        try requireLayout(.odhwi, dimensions: Self.odhwiDimensions)
        let (paddedK, paddedC) = (shape[0], shape[4])
        try requireLogicalCount("output channels K", outputChannels, atMost: paddedK, layout: .odhwi)
        try requireLogicalCount("input channels C", inputChannels, atMost: paddedC, layout: .odhwi)
        let blocking = ChannelBlocking(
            rows: outputChannels, channels: inputChannels, spatial: try volume(1..<4),
            rowBlock: 1, channelBlock: max(paddedC, 1))
        return try rearranged(blocking, .unpack, shape: [outputChannels, inputChannels] + shape[1..<4], layout: .oidhw)
    }
}
