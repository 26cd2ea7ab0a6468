/// The tile choices of the `wgmma` imma conv3d template (``ImmaWgmmaConv3DTemplate``, sm_90a).
///
/// A block computes a `blockM x blockN` tile with `warpgroups` warpgroups of four warps; warpgroup w owns
/// rows `w * blockM / warpgroups ..< (w + 1) * blockM / warpgroups` of the tile, all `blockN` columns,
/// multiplied by `wgmma.mma_async.m64nNk32` (N = blockN) straight from the shared-memory stages, which
/// `cp.async` fills as in the `mma.sync` template (whose XOR swizzle is wgmma's 32-, 64- or 128-byte
/// K-major layout for `blockK` = 32, 64 or 128).
///
/// ```swift
/// let config = ImmaWgmmaConv3DConfig(blockM: 128, blockN: 128, blockK: 128, warpgroups: 1, stages: 4)
/// config.threads   // 128
/// ```
public struct ImmaWgmmaConv3DConfig: Hashable, Codable, Sendable, CustomStringConvertible {
    public var blockM: Int
    /// Output channels per block: the N of every `wgmma`.
    public var blockN: Int
    /// Reduction bytes per stage: 32, 64 or 128, the swizzle width of the shared tiles.
    public var blockK: Int
    /// Warpgroups (of 128 threads) per block: 1 or 2.
    public var warpgroups: Int
    public var stages: Int
    /// `wgmma` groups left running while the next k-tile is waited for and loaded: 0 waits for each
    /// k-tile's operations before the next barrier; 1 overlaps them with the next iteration's wait,
    /// barrier and copies, and keeps one more stage from being refilled (needs 3 stages or more).
    public var wgmmaInFlight: Int
    public var splitK: Int
    public var inputVectorBytes: Int
    public var rasterGroup: Int
    /// Blocks the kernel asks to keep resident per SM (`__launch_bounds__(threads, minBlocks)`), 1 to 4:
    /// more caps the registers so that that many blocks fit, letting one block's prologue, loads and
    /// epilogue overlap the others' `wgmma`s (what layers with a short reduction need); the space admits
    /// it only where that many blocks' shared memory fits too.
    public var minBlocks: Int
    /// Groups of a grouped convolution that share one GEMM over block-diagonal weights (see
    /// ``ImmaWgmmaConv3DTemplate``): 1 is one GEMM per group; ungrouped convolutions have only 1.
    /// Omitted from the JSON when 1, so configs from before the knob read and print as they did.
    public var groupPack: Int
    /// 1: a persistent kernel — a fixed grid whose blocks keep their channel tile's weights (the whole
    /// reduction of them) in shared memory, walk the m-tiles, and issue the next tile's first copies
    /// before the current tile's epilogue; 0: one block per output tile. Omitted from the JSON when 0.
    public var persistent: Int
    /// 1: int8 outputs go through shared memory, so that the block's stores are whole 16-, 8- or
    /// 4-byte vectors of consecutive channels (and a residual is read the same way) instead of each
    /// thread's 2-byte pairs of 8 different rows; 0: stored from the registers. Ungrouped GEMMs only;
    /// int32 outputs are stored from the registers either way. Omitted from the JSON when 0.
    public var stagedOutput: Int
    /// 1: stream-K — a fixed grid (132 x min_blocks blocks) shares out the output tiles' k-tiles evenly,
    /// block b taking the contiguous run b·T/G ..< (b+1)·T/G of all T = tiles x k-tiles, so that a layer
    /// whose tiles fill the SMs unevenly (r3d.l3's 98 tiles on 132 SMs) keeps every SM busy. A block that
    /// starts a tile in its middle publishes its partial sums; the block that holds the tile's first
    /// k-tile adds them and runs the epilogue. Ungrouped GEMMs, no split-K, not persistent. Omitted from
    /// the JSON when 0.
    public var streamK: Int
    /// 1: warp-specialized — one more warpgroup, the producer, runs the `cp.async` loaders alone and
    /// hands each stage to the multiplying warpgroups through two mbarriers (its copies landed; every
    /// consumer warp done with it), so that no k-tile waits at a block-wide barrier, the consumers issue
    /// no address arithmetic, and the producer runs ahead into the next tile while they run the epilogue.
    /// No split-K (stream-K shares out k-tiles by blocks, and works). Omitted from the JSON when 0.
    public var warpSpecialized: Int

    public init(
        blockM: Int, blockN: Int, blockK: Int, warpgroups: Int, stages: Int, wgmmaInFlight: Int = 0, splitK: Int = 1,
        inputVectorBytes: Int = 16, rasterGroup: Int = 1, minBlocks: Int = 1, groupPack: Int = 1, persistent: Int = 0,
        stagedOutput: Int = 0, streamK: Int = 0, warpSpecialized: Int = 0
    ) {
        self.blockM = blockM
        self.blockN = blockN
        self.blockK = blockK
        self.warpgroups = warpgroups
        self.stages = stages
        self.wgmmaInFlight = wgmmaInFlight
        self.splitK = splitK
        self.inputVectorBytes = inputVectorBytes
        self.rasterGroup = rasterGroup
        self.minBlocks = minBlocks
        self.groupPack = groupPack
        self.persistent = persistent
        self.stagedOutput = stagedOutput
        self.streamK = streamK
        self.warpSpecialized = warpSpecialized
    }

    /// Threads per block: the multiplying warpgroups, and the producer warpgroup when warp-specialized.
    public var threads: Int { 128 * (warpgroups + (warpSpecialized == 1 ? 1 : 0)) }
    /// Rows each warpgroup multiplies: `blockM / warpgroups`, a multiple of 64.
    public var warpgroupM: Int { warpgroups > 0 ? blockM / warpgroups : 0 }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case blockM = "block_m", blockN = "block_n", blockK = "block_k", warpgroups, stages
        case wgmmaInFlight = "wgmma_in_flight", splitK = "split_k", inputVectorBytes = "a_vector", rasterGroup = "raster_group"
        case minBlocks = "min_blocks"
        case groupPack = "group_pack"
        case persistent
        case stagedOutput = "staged_output"
        case streamK = "stream_k"
        case warpSpecialized = "warp_specialized"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            blockM: try c.decode(Int.self, forKey: .blockM), blockN: try c.decode(Int.self, forKey: .blockN),
            blockK: try c.decode(Int.self, forKey: .blockK), warpgroups: try c.decode(Int.self, forKey: .warpgroups),
            stages: try c.decode(Int.self, forKey: .stages), wgmmaInFlight: try c.decode(Int.self, forKey: .wgmmaInFlight),
            splitK: try c.decode(Int.self, forKey: .splitK), inputVectorBytes: try c.decode(Int.self, forKey: .inputVectorBytes),
            rasterGroup: try c.decode(Int.self, forKey: .rasterGroup), minBlocks: try c.decode(Int.self, forKey: .minBlocks),
            groupPack: try c.decodeIfPresent(Int.self, forKey: .groupPack) ?? 1,
            persistent: try c.decodeIfPresent(Int.self, forKey: .persistent) ?? 0,
            stagedOutput: try c.decodeIfPresent(Int.self, forKey: .stagedOutput) ?? 0,
            streamK: try c.decodeIfPresent(Int.self, forKey: .streamK) ?? 0,
            warpSpecialized: try c.decodeIfPresent(Int.self, forKey: .warpSpecialized) ?? 0)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        for (key, value) in pairs { try c.encode(value, forKey: key) }
    }

    /// The knobs in a fixed order, `group_pack` only when it packs, `persistent`, `staged_output`,
    /// `stream_k` and `warp_specialized` only when 1.
    var pairs: [(CodingKeys, Int)] {
        var pairs: [(CodingKeys, Int)] = [
            (.blockM, blockM), (.blockN, blockN), (.blockK, blockK), (.warpgroups, warpgroups), (.stages, stages),
            (.wgmmaInFlight, wgmmaInFlight), (.splitK, splitK), (.inputVectorBytes, inputVectorBytes), (.rasterGroup, rasterGroup),
            (.minBlocks, minBlocks),
        ]
        if groupPack != 1 { pairs.append((.groupPack, groupPack)) }
        if persistent != 0 { pairs.append((.persistent, persistent)) }
        if stagedOutput != 0 { pairs.append((.stagedOutput, stagedOutput)) }
        if streamK != 0 { pairs.append((.streamK, streamK)) }
        if warpSpecialized != 0 { pairs.append((.warpSpecialized, warpSpecialized)) }
        return pairs
    }

    public var description: String {
        "block \(blockM)x\(blockN)x\(blockK) warpgroups \(warpgroups) stages \(stages) in_flight \(wgmmaInFlight) split_k \(splitK) "
            + "a_vector \(inputVectorBytes) raster \(rasterGroup) min_blocks \(minBlocks)" + (groupPack != 1 ? " group_pack \(groupPack)" : "")
            + (persistent != 0 ? " persistent" : "") + (stagedOutput != 0 ? " staged_output" : "") + (streamK != 0 ? " stream_k" : "")
            + (warpSpecialized != 0 ? " warp_specialized" : "")
    }

    /// The configuration as one line of JSON in a fixed key order, as the rendered header records it.
    public var json: String {
        "{" + pairs.map { "\"\($0.rawValue)\": \($1)" }.joined(separator: ", ") + "}"
    }
}

extension ImmaWgmmaConv3DConfig: TunableConfig {
    public var knobValues: [String: KnobValue] {
        [
            CodingKeys.blockM.rawValue: .choice(blockM), CodingKeys.blockN.rawValue: .choice(blockN),
            CodingKeys.blockK.rawValue: .choice(blockK), CodingKeys.warpgroups.rawValue: .choice(warpgroups),
            CodingKeys.stages.rawValue: .choice(stages), CodingKeys.wgmmaInFlight.rawValue: .choice(wgmmaInFlight),
            CodingKeys.splitK.rawValue: .choice(splitK),
            CodingKeys.inputVectorBytes.rawValue: .choice(inputVectorBytes),
            CodingKeys.rasterGroup.rawValue: .choice(rasterGroup),
            CodingKeys.minBlocks.rawValue: .choice(minBlocks),
            CodingKeys.groupPack.rawValue: .choice(groupPack),
            CodingKeys.persistent.rawValue: .choice(persistent),
            CodingKeys.stagedOutput.rawValue: .choice(stagedOutput),
            CodingKeys.streamK.rawValue: .choice(streamK),
            CodingKeys.warpSpecialized.rawValue: .choice(warpSpecialized),
        ]
    }

    public init(knobValues values: [String: KnobValue]) throws(ConfigSpaceError) {
        func choice(_ key: CodingKeys) throws(ConfigSpaceError) -> Int { try values.choice(key) }
        self.init(
            blockM: try choice(.blockM), blockN: try choice(.blockN), blockK: try choice(.blockK),
            warpgroups: try choice(.warpgroups), stages: try choice(.stages), wgmmaInFlight: try choice(.wgmmaInFlight),
            splitK: try choice(.splitK),
            inputVectorBytes: try choice(.inputVectorBytes), rasterGroup: try choice(.rasterGroup),
            minBlocks: try choice(.minBlocks), groupPack: values[CodingKeys.groupPack.rawValue] == nil ? 1 : try choice(.groupPack),
            persistent: values[CodingKeys.persistent.rawValue] == nil ? 0 : try choice(.persistent),
            stagedOutput: values[CodingKeys.stagedOutput.rawValue] == nil ? 0 : try choice(.stagedOutput),
            streamK: values[CodingKeys.streamK.rawValue] == nil ? 0 : try choice(.streamK),
            warpSpecialized: values[CodingKeys.warpSpecialized.rawValue] == nil ? 0 : try choice(.warpSpecialized))
    }
}
