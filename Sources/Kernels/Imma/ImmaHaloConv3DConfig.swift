/// The choices of the halo-reuse imma conv3d template (``ImmaHaloConv3DTemplate``, sm_90a).
///
/// A block computes an output box of `tileZ x tileY x tileX` pixels of one image (its GEMM rows, in
/// z, y, x order with x fastest) times `blockN` output channels. The reduction runs one channel block
/// of `channelBlock` bytes at a time: the box's input halo for that channel block is copied into shared
/// memory once and every filter tap reads its A fragments from it; the weights of each (channel block,
/// tap) pass through a ring of `stages` shared tiles.
///
/// ```swift
/// let config = ImmaHaloConv3DConfig(tileZ: 4, tileY: 8, tileX: 8, blockN: 64, channelBlock: 64, warpgroups: 2, stages: 4)
/// config.blockM    // 256
/// config.threads   // 256
/// ```
public struct ImmaHaloConv3DConfig: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Output depth, height and width of the box a block computes.
    public var tileZ: Int
    public var tileY: Int
    public var tileX: Int
    /// Output channels per block: the N of every `wgmma`.
    public var blockN: Int
    /// Input channel bytes per step of the reduction: 32, 64 or 128, the width (and swizzle) of the
    /// halo's and the weight tiles' shared rows.
    public var channelBlock: Int
    /// Warpgroups (of 128 threads) per block: 1 to 4 (3 only with resident weights, where each has a box of its own:
    /// no box of the streamed kernel has 192 pixels to split three ways).
    public var warpgroups: Int
    /// Shared weight tiles in the ring: the loads run `stages - 2` (channel block, tap) steps ahead,
    /// one stage being multiplied and one read by the `wgmma` group still in flight.
    public var stages: Int
    /// Blocks the kernel asks to keep resident per SM (`__launch_bounds__(threads, minBlocks)`).
    public var minBlocks: Int
    /// 1: resident weights — a persistent grid whose blocks copy their channel tile's weights (every
    /// channel block and tap) into shared memory once; each warpgroup then walks boxes of its own
    /// (`blockM` pixels per warpgroup) with a double-buffered halo, synchronizing only its own 128
    /// threads once per channel block, and stores each box while the other warpgroups multiply. There
    /// is no weight ring: `stages` is unused and must be its first candidate. 0: one block per box and
    /// n-tile, weights streamed through the ring. Omitted from the JSON when 0.
    public var resident: Int

    public init(
        tileZ: Int, tileY: Int, tileX: Int, blockN: Int, channelBlock: Int, warpgroups: Int, stages: Int, minBlocks: Int = 1,
        resident: Int = 0
    ) {
        self.tileZ = tileZ
        self.tileY = tileY
        self.tileX = tileX
        self.blockN = blockN
        self.channelBlock = channelBlock
        self.warpgroups = warpgroups
        self.stages = stages
        self.minBlocks = minBlocks
        self.resident = resident
    }

    /// GEMM rows of a box: its pixels (a block's with streamed weights, a warpgroup's with resident ones).
    public var blockM: Int { tileZ * tileY * tileX }
    public var threads: Int { 128 * warpgroups }
    /// Rows each warpgroup multiplies: `blockM / warpgroups` of the block's box, or with resident
    /// weights its own whole box.
    public var warpgroupM: Int { resident == 1 ? blockM : (warpgroups > 0 ? blockM / warpgroups : 0) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tileZ = "tile_z", tileY = "tile_y", tileX = "tile_x", blockN = "block_n", channelBlock = "channel_block"
        case warpgroups, stages, minBlocks = "min_blocks", resident
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tileZ: try c.decode(Int.self, forKey: .tileZ), tileY: try c.decode(Int.self, forKey: .tileY),
            tileX: try c.decode(Int.self, forKey: .tileX), blockN: try c.decode(Int.self, forKey: .blockN),
            channelBlock: try c.decode(Int.self, forKey: .channelBlock), warpgroups: try c.decode(Int.self, forKey: .warpgroups),
            stages: try c.decode(Int.self, forKey: .stages), minBlocks: try c.decode(Int.self, forKey: .minBlocks),
            resident: try c.decodeIfPresent(Int.self, forKey: .resident) ?? 0)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        for (key, value) in pairs { try c.encode(value, forKey: key) }
    }

    /// The knobs in a fixed order, `resident` only when 1 (so that configs from before it read and
    /// print as they did).
    var pairs: [(CodingKeys, Int)] {
        var pairs: [(CodingKeys, Int)] = [
            (.tileZ, tileZ), (.tileY, tileY), (.tileX, tileX), (.blockN, blockN), (.channelBlock, channelBlock),
            (.warpgroups, warpgroups), (.stages, stages), (.minBlocks, minBlocks),
        ]
        if resident != 0 { pairs.append((.resident, resident)) }
        return pairs
    }

    public var description: String {
        "box \(tileZ)x\(tileY)x\(tileX) block_n \(blockN) channel_block \(channelBlock) warpgroups \(warpgroups) stages \(stages) min_blocks \(minBlocks)"
            + (resident != 0 ? " resident" : "")
    }

    /// The configuration as one line of JSON in a fixed key order, as the rendered header records it.
    public var json: String {
        "{" + pairs.map { "\"\($0.rawValue)\": \($1)" }.joined(separator: ", ") + "}"
    }
}

extension ImmaHaloConv3DConfig: TunableConfig {
    public var knobValues: [String: KnobValue] {
        [
            CodingKeys.tileZ.rawValue: .choice(tileZ), CodingKeys.tileY.rawValue: .choice(tileY),
            CodingKeys.tileX.rawValue: .choice(tileX), CodingKeys.blockN.rawValue: .choice(blockN),
            CodingKeys.channelBlock.rawValue: .choice(channelBlock), CodingKeys.warpgroups.rawValue: .choice(warpgroups),
            CodingKeys.stages.rawValue: .choice(stages), CodingKeys.minBlocks.rawValue: .choice(minBlocks),
            CodingKeys.resident.rawValue: .choice(resident),
        ]
    }

    public init(knobValues values: [String: KnobValue]) throws(ConfigSpaceError) {
        func choice(_ key: CodingKeys) throws(ConfigSpaceError) -> Int { try values.choice(key) }
        self.init(
            tileZ: try choice(.tileZ), tileY: try choice(.tileY), tileX: try choice(.tileX), blockN: try choice(.blockN),
            channelBlock: try choice(.channelBlock), warpgroups: try choice(.warpgroups), stages: try choice(.stages),
            minBlocks: try choice(.minBlocks), resident: values[CodingKeys.resident.rawValue] == nil ? 0 : try choice(.resident))
    }
}
