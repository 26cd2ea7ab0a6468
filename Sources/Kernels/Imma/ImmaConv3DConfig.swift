/// The tile choices of the imma conv3d template (``ImmaConv3DTemplate``).
///
/// A block computes a `blockM x blockN` tile of the implicit GEMM (output pixels x output channels),
/// walking the reduction `blockK` bytes at a time through a `stages`-deep ring of shared-memory tiles
/// filled by `cp.async`. Its `warpsM x warpsN` warps each own a `blockM/warpsM x blockN/warpsN` warp
/// tile, computed with `mma.sync.m16n8k32` on fragments loaded by `ldmatrix.x4`.
///
/// ```swift
/// let config = ImmaConv3DConfig(blockM: 128, blockN: 128, blockK: 64, warpsM: 2, warpsN: 2, stages: 4)
/// config.threads   // 128
/// ```
public struct ImmaConv3DConfig: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Output pixels per block (GEMM rows).
    public var blockM: Int
    /// Output channels per block (GEMM columns).
    public var blockN: Int
    /// Reduction bytes per pipeline stage: 32, 64 or 128 (one, two or four `mma` k-steps).
    public var blockK: Int
    /// Warps along M; the warp tile has `blockM / warpsM` rows, a multiple of 16.
    public var warpsM: Int
    /// Warps along N; the warp tile has `blockN / warpsN` columns, a multiple of 16.
    public var warpsN: Int
    /// Shared-memory stages of the `cp.async` pipeline: 2 to 4.
    public var stages: Int
    /// Blocks sharing one output tile, each reducing a contiguous range of the reduction's k-tiles; the
    /// last to finish adds the others' partial sums (left in a workspace) and runs the epilogue.
    public var splitK: Int
    /// Bytes each activation `cp.async` copies: 4, 8 or 16, dividing the input channel pitch.
    public var inputVectorBytes: Int
    /// M-tiles walked together before moving to the next output-channel tile (block rasterization):
    /// 1 walks all channel tiles of one pixel tile first.
    public var rasterGroup: Int

    public init(
        blockM: Int, blockN: Int, blockK: Int, warpsM: Int, warpsN: Int, stages: Int,
        splitK: Int = 1, inputVectorBytes: Int = 16, rasterGroup: Int = 1
    ) {
        self.blockM = blockM
        self.blockN = blockN
        self.blockK = blockK
        self.warpsM = warpsM
        self.warpsN = warpsN
        self.stages = stages
        self.splitK = splitK
        self.inputVectorBytes = inputVectorBytes
        self.rasterGroup = rasterGroup
    }

    /// Threads per block: 32 per warp.
    public var threads: Int { 32 * warpsM * warpsN }
    /// Rows of one warp's tile.
    public var warpM: Int { warpsM > 0 ? blockM / warpsM : 0 }
    /// Columns of one warp's tile.
    public var warpN: Int { warpsN > 0 ? blockN / warpsN : 0 }

    /// Knob names, also the JSON keys.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case blockM = "block_m", blockN = "block_n", blockK = "block_k"
        case warpsM = "warps_m", warpsN = "warps_n", stages
        case splitK = "split_k", inputVectorBytes = "a_vector", rasterGroup = "raster_group"
    }

    public var description: String {
        "block \(blockM)x\(blockN)x\(blockK) warps \(warpsM)x\(warpsN) stages \(stages) split_k \(splitK) "
            + "a_vector \(inputVectorBytes) raster \(rasterGroup)"
    }

    /// The configuration as one line of JSON with the knob names as keys, in a fixed order: what the
    /// rendered source's header records.
    public var json: String {
        let pairs: [(CodingKeys, Int)] = [
            (.blockM, blockM), (.blockN, blockN), (.blockK, blockK), (.warpsM, warpsM), (.warpsN, warpsN),
            (.stages, stages), (.splitK, splitK), (.inputVectorBytes, inputVectorBytes), (.rasterGroup, rasterGroup),
        ]
        return "{" + pairs.map { "\"\($0.rawValue)\": \($1)" }.joined(separator: ", ") + "}"
    }
}

/// The mapping between a configuration and the knob values of its ``ConfigSpace``: every knob is a
/// choice of integers.
extension ImmaConv3DConfig: TunableConfig {
    public var knobValues: [String: KnobValue] {
        [
            CodingKeys.blockM.rawValue: .choice(blockM), CodingKeys.blockN.rawValue: .choice(blockN),
            CodingKeys.blockK.rawValue: .choice(blockK), CodingKeys.warpsM.rawValue: .choice(warpsM),
            CodingKeys.warpsN.rawValue: .choice(warpsN), CodingKeys.stages.rawValue: .choice(stages),
            CodingKeys.splitK.rawValue: .choice(splitK),
            CodingKeys.inputVectorBytes.rawValue: .choice(inputVectorBytes),
            CodingKeys.rasterGroup.rawValue: .choice(rasterGroup),
        ]
    }

    public init(knobValues values: [String: KnobValue]) throws(ConfigSpaceError) {
        func choice(_ key: CodingKeys) throws(ConfigSpaceError) -> Int { try values.choice(key) }
        self.init(
            blockM: try choice(.blockM), blockN: try choice(.blockN), blockK: try choice(.blockK),
            warpsM: try choice(.warpsM), warpsN: try choice(.warpsN), stages: try choice(.stages),
            splitK: try choice(.splitK), inputVectorBytes: try choice(.inputVectorBytes),
            rasterGroup: try choice(.rasterGroup))
    }
}
