/// The one index permutation behind every packed layout: a tensor seen as `[rows, C, S]` is stored as
/// `[ceil(rows/bo), ceil(C/bi), S, bo, bi]`, zero padded.
///
/// `rows` is N for activations and K for weights, `S` the product of the spatial (or kernel) extents.
/// Each layout is one choice of blocks:
///
/// | layout | rows | bo | bi |
/// |---|---|---|---|
/// | NCDHW[b]c | N | 1 | b |
/// | NDHWC, C padded to Cp | N | 1 | Cp (one block holds every channel) |
/// | OIDHW[bo]o[bi]i | K | bo | bi |
/// | ODHWI, C padded to Cp, K to Kp | K | 1 | Cp, with Kp - K zero rows after the data |
///
/// Packing and unpacking move elements without reading them, so they run on bit patterns: one loop
/// per element width, specialized whatever the caller's element type.
struct ChannelBlocking: Sendable {
    /// N or K: the logical rows.
    let rows: Int
    /// C: the logical channels.
    let channels: Int
    /// S: elements per (row, channel).
    let spatial: Int
    /// bo: rows per block.
    let rowBlock: Int
    /// bi: channels per block.
    let channelBlock: Int

    enum Direction { case pack, unpack }

    /// Logical elements read from `[rows, C, S]` (pack) or written there (unpack).
    var logicalCount: Int { rows * channels * spatial }

    /// Moves `source` into a new array of `count` elements: `[rows, C, S]` to the blocked order
    /// (padding zero) for `.pack`, back for `.unpack`.
    ///
    /// The caller guarantees the counts: `source` and `count` cover the blocked tensor, and `count` is
    /// `logicalCount` when unpacking.
    func move<Element: TensorElement>(_ direction: Direction, _ source: [Element], count: Int) -> [Element] {
        let zero = Element.zero
        return source.withUnsafeBufferPointer { src in
            [Element](unsafeUninitializedCapacity: count) { dst, initialized in
                switch MemoryLayout<Element>.stride {
                case 1: Self.rebind(src, dst, as: UInt8.self) { s, d in
                    run(direction, s, d, zero: unsafeBitCast(zero, to: UInt8.self)) }
                case 2: Self.rebind(src, dst, as: UInt16.self) { s, d in
                    run(direction, s, d, zero: unsafeBitCast(zero, to: UInt16.self)) }
                case 4: Self.rebind(src, dst, as: UInt32.self) { s, d in
                    run(direction, s, d, zero: unsafeBitCast(zero, to: UInt32.self)) }
                case 8: Self.rebind(src, dst, as: UInt64.self) { s, d in
                    run(direction, s, d, zero: unsafeBitCast(zero, to: UInt64.self)) }
                default: run(direction, src, dst, zero: zero)
                }
                initialized = count
            }
        }
    }

    private static func rebind<Element, Word>(
        _ src: UnsafeBufferPointer<Element>, _ dst: UnsafeMutableBufferPointer<Element>, as _: Word.Type,
        _ body: (UnsafeBufferPointer<Word>, UnsafeMutableBufferPointer<Word>) -> Void
    ) {
        src.withMemoryRebound(to: Word.self) { s in dst.withMemoryRebound(to: Word.self) { d in body(s, d) } }
    }

    private func run<Word: BitwiseCopyable>(
        _ direction: Direction, _ src: UnsafeBufferPointer<Word>, _ dst: UnsafeMutableBufferPointer<Word>, zero: Word
    ) {
        dst.initialize(repeating: zero)
        guard logicalCount > 0 else { return }
        switch direction {
        case .pack: pack(src, dst)
        case .unpack: unpack(src, dst)
        }
    }

    /// Spatial positions handled together for all channels of a row: the blocked writes of one tile
    /// (`tile · bo · bi` elements) stay in cache while the channels fill them in.
    private static let spatialTile = 64

    private func pack<Word>(_ src: UnsafeBufferPointer<Word>, _ dst: UnsafeMutableBufferPointer<Word>) {
        let channelBlocks = (channels + channelBlock - 1) / channelBlock
        let step = rowBlock * channelBlock
        for row in 0..<rows {
            for tileStart in stride(from: 0, to: spatial, by: Self.spatialTile) {
                let tileEnd = min(tileStart + Self.spatialTile, spatial)
                for channel in 0..<channels {
                    var from = (row * channels + channel) * spatial + tileStart
                    var to = blockedIndex(row: row, channel: channel, spatial: tileStart, channelBlocks: channelBlocks)
                    for _ in tileStart..<tileEnd {
                        dst[to] = src[from]
                        from += 1
                        to += step
                    }
                }
            }
        }
    }

    private func unpack<Word>(_ src: UnsafeBufferPointer<Word>, _ dst: UnsafeMutableBufferPointer<Word>) {
        let channelBlocks = (channels + channelBlock - 1) / channelBlock
        let step = rowBlock * channelBlock
        for row in 0..<rows {
            for tileStart in stride(from: 0, to: spatial, by: Self.spatialTile) {
                let tileEnd = min(tileStart + Self.spatialTile, spatial)
                for channel in 0..<channels {
                    var to = (row * channels + channel) * spatial + tileStart
                    var from = blockedIndex(row: row, channel: channel, spatial: tileStart, channelBlocks: channelBlocks)
                    for _ in tileStart..<tileEnd {
                        dst[to] = src[from]
                        from += step
                        to += 1
                    }
                }
            }
        }
    }

    /// Where logical element `(row, channel, spatial)` lives in `[ceil(rows/bo), ceil(C/bi), S, bo, bi]`.
    private func blockedIndex(row: Int, channel: Int, spatial s: Int, channelBlocks: Int) -> Int {
        let block = (row / rowBlock) * channelBlocks + channel / channelBlock
        return ((block * spatial + s) * rowBlock + row % rowBlock) * channelBlock + channel % channelBlock
    }
}
