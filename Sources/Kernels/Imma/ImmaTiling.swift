/// The block tile of an imma kernel — whichever instruction multiplies — and what follows from it for
/// one workload: tile counts, the launch, the shared-memory stage ring, the work of the `cp.async`
/// loaders and the split-K buffers. The `mma.sync` and `wgmma` templates share it, with their loaders,
/// split-K exchange and epilogue (``ImmaKernelText``).
struct ImmaTiling: Hashable, Sendable {
    let geometry: ImmaConv3DGeometry
    /// Output pixels per block (GEMM rows).
    let blockM: Int
    /// Output channels per block (GEMM columns).
    let blockN: Int
    /// Reduction bytes per stage: 32, 64 or 128.
    let blockK: Int
    let threads: Int
    let stages: Int
    let splitK: Int
    let inputVectorBytes: Int
    let rasterGroup: Int
    /// Alignment the stage ring needs in shared memory (the `wgmma` swizzle atoms need 1024 bytes);
    /// the kernel rounds its base up, so the launch asks for this much more than the ring.
    let sharedAlignment: Int
    /// A persistent kernel (`wgmma` template, `persistent` 1): this many blocks, each keeping the
    /// weights of its channel tile — all k-tiles of it — in shared memory and walking the m-tiles;
    /// nil for one block per output tile and split.
    var persistentBlocks: Int? = nil
    /// A stream-K kernel (`wgmma` template, `stream_k` 1): this many blocks share out the `tiles x kTiles`
    /// k-tiles of all output tiles evenly, in contiguous runs; nil otherwise.
    var streamKBlocks: Int? = nil
    /// A warp-specialized kernel (`wgmma` template, `warp_specialized` 1): `threads` counts one more
    /// warpgroup, the producer, which alone runs the `cp.async` loaders and hands stages to the
    /// multiplying warpgroups (the consumers) through mbarriers in shared memory instead of a block-wide
    /// barrier per k-tile.
    var warpSpecialized = false

    /// Threads that issue the `cp.async` copies: the producer warpgroup, or every thread.
    var loaderThreads: Int { warpSpecialized ? 128 : threads }

    /// Blocks a persistent grid has per Hopper GPU and resident block: the SMs of an H100 or H200 SXM
    /// (a GPU with fewer SMs runs the surplus as a second wave, correctly).
    static let persistentMultiprocessors = 132

    /// The persistent grid for `minBlocks` resident blocks per SM: a multiple of the channel tiles
    /// (block b keeps channel tile b % N_TILES), at most one block per output tile.
    static func persistentBlocks(mTiles: Int, nTiles: Int, minBlocks: Int) -> Int {
        nTiles * min(mTiles, max(1, persistentMultiprocessors * minBlocks / nTiles))
    }

    /// The stream-K grid for `minBlocks` resident blocks per SM: every block of it resident at once on an
    /// H100 or H200 SXM (a block may wait for the partial sums of a later one), at most one per k-tile of work.
    static func streamKBlocks(work: Int, minBlocks: Int) -> Int {
        max(1, min(work, persistentMultiprocessors * minBlocks))
    }

    /// int8 outputs staged in shared memory (`wgmma` template, `staged_output` 1): the output tile and,
    /// for a residual, the residual tile, BM x BN bytes each; in the stage ring when the kernel has
    /// finished with it, after the resident weights in a persistent kernel (whose ring already holds
    /// the next tile's first copies).
    var stagedOutput = false
    var stagingBytes: Int { stagedOutput ? 2 * blockM * blockN : 0 }
    /// Where the staging area starts, from the ring's base.
    var stagingOffset: Int { stagingAfterRing ? stages * stageBytes + weightPanelBytes : 0 }
    /// Whether the staging area has shared memory of its own, after the ring (and resident weights): where
    /// a kernel's ring already holds the next tile's copies when an epilogue runs — a persistent kernel,
    /// or a warp-specialized stream-K one, whose producer runs ahead into the next run. Elsewhere it
    /// reuses the drained ring.
    var stagingAfterRing: Bool { residentWeights || (warpSpecialized && streamKBlocks != nil) }
    /// Shared bytes of the ring, resident weights and staging area.
    var usedBytes: Int { stagingAfterRing ? stagingOffset + stagingBytes : max(stages * stageBytes, stagingBytes) }

    /// Where a warp-specialized kernel's mbarriers start, from the ring's base: after everything else,
    /// `full[s]` (the producer's copies of stage s have landed) at 8 s and `empty[s]` (every consumer
    /// warp is done with stage s) at 8 (STAGES + s).
    var barrierOffset: Int { (usedBytes + 7) / 8 * 8 }
    /// Bytes of those mbarriers: two of 8 bytes per stage (0 unless warp-specialized).
    var barrierBytes: Int { warpSpecialized ? 16 * stages : 0 }

    /// Whether the weights stay in shared memory for the whole kernel.
    var residentWeights: Bool { persistentBlocks != nil }

    var mTiles: Int { ImmaConv3DGeometry.ceilDiv(geometry.m, blockM) }
    /// Channel tiles of one group's GEMM (of the whole GEMM when not grouped).
    var nTilesPerGroup: Int { ImmaConv3DGeometry.ceilDiv(geometry.groupColumns, blockN) }
    /// Channel tiles of all groups: a grouped kernel folds the group into its n-tile index, so that
    /// rasterization and split-K see one grid of tiles.
    var nTiles: Int { geometry.groups * nTilesPerGroup }
    /// Output tiles: blocks per split.
    var tiles: Int { mTiles * nTiles }
    /// `blockK`-byte steps of the whole reduction (the last one zero-padded past Kg).
    var kTiles: Int { ImmaConv3DGeometry.ceilDiv(geometry.reduction, blockK) }

    var grid: LaunchDimensions {
        (persistentBlocks ?? streamKBlocks).map { LaunchDimensions(x: $0) } ?? LaunchDimensions(x: tiles, y: splitK)
    }
    var block: LaunchDimensions { LaunchDimensions(x: threads) }

    /// Bytes of one stage: the A tile (blockM x blockK) and the B tile (blockN x blockK); the A tile
    /// only where the weights are resident.
    var stageBytes: Int { (blockM + (residentWeights ? 0 : blockN)) * blockK }
    /// Bytes of the resident weights: every k-tile's B tile (0 unless persistent).
    var weightPanelBytes: Int { residentWeights ? kTiles * blockN * blockK : 0 }
    /// Dynamic shared memory: the stage ring (and the resident weights and staging area), a
    /// warp-specialized kernel's mbarriers, plus alignment slack. A split-K block's epilogue reuses the
    /// ring's first word.
    var sharedBytes: Int {
        (warpSpecialized ? barrierOffset + barrierBytes : usedBytes) + (sharedAlignment > 128 ? sharedAlignment : 0)
    }

    /// `cp.async` copies of one A tile (activations), and how many each thread issues.
    var inputPieces: Int { blockM * blockK / max(inputVectorBytes, 1) }
    var inputPiecesPerThread: Int { ImmaConv3DGeometry.ceilDiv(inputPieces, loaderThreads) }
    /// `cp.async` copies of one B tile (weights), and how many each thread issues.
    var weightPieces: Int { blockN * blockK / geometry.weightVectorBytes }
    var weightPiecesPerThread: Int { ImmaConv3DGeometry.ceilDiv(weightPieces, loaderThreads) }
    /// Registers the loaders keep: four coordinates per A row (pixel base, z, y, x), one offset per B row.
    var loaderRegisters: Int { 4 * inputPiecesPerThread + 2 * weightPiecesPerThread }

    /// Whether blocks hand partial sums to one another through the workspace: split-K or stream-K.
    var exchangesPartials: Bool { splitK > 1 || streamKBlocks != nil }
    /// int32 elements of the workspace: one partial tile per split of every output tile with split-K,
    /// one per block with stream-K (a block publishes at most one, of the tile it starts in its middle);
    /// 0 otherwise.
    var workspaceElements: Int {
        if let blocks = streamKBlocks { return blocks * blockM * blockN }
        return splitK > 1 ? tiles * splitK * blockM * blockN : 0
    }
    /// int32 counters: split-K's arrivals, one per output tile; stream-K's flags, one per block (1 once
    /// its partial sums are published); 0 otherwise.
    var counterElements: Int { streamKBlocks ?? (splitK > 1 ? tiles : 0) }

    /// The swizzle of a shared tile row of `blockK` bytes: its 16-byte chunk index is XOR-ed with the
    /// row bits above this shift (see the rendered `q3d_tile_offset`).
    var swizzleShift: Int { blockK >= 128 ? 0 : (blockK == 64 ? 1 : 2) }
}
