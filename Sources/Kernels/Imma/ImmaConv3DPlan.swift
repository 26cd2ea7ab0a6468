/// Everything the renderer and the validity rules derive from a workload and a configuration: warp
/// tiles, tile counts, the work of each thread's loaders, and the resources the kernel asks for.
/// Computed in one place, so the space's rules and the rendered kernel cannot disagree.
struct ImmaConv3DPlan: Hashable, Sendable {
    let geometry: ImmaConv3DGeometry
    let config: ImmaConv3DConfig

    init(geometry: ImmaConv3DGeometry, config: ImmaConv3DConfig) {
        self.geometry = geometry
        self.config = config
    }

    var threads: Int { config.threads }
    /// 16-row `mma` tiles along a warp's M.
    var mmaRows: Int { config.warpM / 16 }
    /// 8-column `mma` tiles along a warp's N.
    var mmaColumns: Int { config.warpN / 8 }
    /// int32 accumulators per thread: four per 16x8 `mma` tile.
    var accumulators: Int { mmaRows * mmaColumns * 4 }

    var mTiles: Int { ImmaConv3DGeometry.ceilDiv(geometry.m, config.blockM) }
    var nTiles: Int { ImmaConv3DGeometry.ceilDiv(geometry.outputPitch, config.blockN) }
    /// Output tiles: blocks per split.
    var tiles: Int { mTiles * nTiles }
    /// `blockK`-byte steps of the whole reduction (the last one zero-padded past Kg).
    var kTiles: Int { ImmaConv3DGeometry.ceilDiv(geometry.reduction, config.blockK) }

    var grid: LaunchDimensions { LaunchDimensions(x: tiles, y: config.splitK) }
    var block: LaunchDimensions { LaunchDimensions(x: threads) }

    /// Bytes of one stage: the A tile (blockM x blockK) and the B tile (blockN x blockK).
    var stageBytes: Int { (config.blockM + config.blockN) * config.blockK }
    /// Dynamic shared memory: the stage ring. The epilogue of a split-K block reuses its first word.
    var sharedBytes: Int { config.stages * stageBytes }

    /// `cp.async` copies of one A tile (activations), and how many each thread issues.
    var inputPieces: Int { config.blockM * config.blockK / max(config.inputVectorBytes, 1) }
    var inputPiecesPerThread: Int { ImmaConv3DGeometry.ceilDiv(inputPieces, threads) }
    /// `cp.async` copies of one B tile (weights), and how many each thread issues.
    var weightPieces: Int { config.blockN * config.blockK / geometry.weightVectorBytes }
    var weightPiecesPerThread: Int { ImmaConv3DGeometry.ceilDiv(weightPieces, threads) }

    /// A rough count of the registers a thread needs: the accumulators, one k-step of A and B
    /// fragments, the four coordinates each A row keeps (pixel base, z, y, x), one offset per B row, and
    /// an allowance for indices, addresses and loop counters. ptxas decides; this keeps the space away
    /// from configurations that cannot fit.
    var estimatedRegisters: Int {
        accumulators + mmaRows * 4 + mmaColumns * 2 + 4 * inputPiecesPerThread + 2 * weightPiecesPerThread
            + ImmaLimits.reservedRegisters
    }

    /// int32 elements of the split-K workspace: one partial tile per split of every output tile (0
    /// without split-K).
    var workspaceElements: Int { config.splitK > 1 ? tiles * config.splitK * config.blockM * config.blockN : 0 }
    /// int32 arrival counters of split-K, one per output tile (0 without split-K).
    var counterElements: Int { config.splitK > 1 ? tiles : 0 }
}

/// The limits an imma configuration must respect on one architecture.
struct ImmaLimits: Hashable, Sendable {
    let arch: GPUArchitecture

    /// At most this many int32 accumulators per thread (a 64x64 warp tile).
    static let maxAccumulators = 128
    /// Registers kept for addresses, coordinates and loop counters beside the tiles.
    static let reservedRegisters = 32
    /// Split-K partial sums beyond this are not worth their memory traffic (and the kernel indexes the
    /// workspace with 32-bit integers).
    static let maxWorkspaceBytes = 256 << 20

    /// Registers one thread may use in a block of `threads` threads with `__launch_bounds__(threads, 1)`:
    /// the block's register file shared out, in multiples of 8, at most the architecture's cap.
    func registerBudget(threads: Int) -> Int {
        min(arch.maxRegistersPerThread, arch.registersPerBlock / max(threads, 32) / 8 * 8)
    }
}
