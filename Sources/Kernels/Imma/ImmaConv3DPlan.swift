/// What the `mma.sync` renderer and its validity rules derive from a workload and a configuration: the
/// shared block tiling and the warp tiles. Computed in one place, so the space's rules and the rendered
/// kernel cannot disagree.
struct ImmaConv3DPlan: Hashable, Sendable {
    let geometry: ImmaConv3DGeometry
    let config: ImmaConv3DConfig
    let tiling: ImmaTiling

    init(geometry: ImmaConv3DGeometry, config: ImmaConv3DConfig) {
        self.geometry = geometry
        self.config = config
        tiling = ImmaTiling(
            geometry: geometry, blockM: config.blockM, blockN: config.blockN, blockK: config.blockK,
            threads: config.threads, stages: config.stages, splitK: config.splitK,
            inputVectorBytes: config.inputVectorBytes, rasterGroup: config.rasterGroup, sharedAlignment: 128)
    }

    var threads: Int { config.threads }
    /// 16-row `mma` tiles along a warp's M.
    var mmaRows: Int { config.warpM / 16 }
    /// 8-column `mma` tiles along a warp's N.
    var mmaColumns: Int { config.warpN / 8 }
    /// int32 accumulators per thread: four per 16x8 `mma` tile.
    var accumulators: Int { mmaRows * mmaColumns * 4 }

    /// A rough count of the registers a thread needs: the accumulators, the A and B fragments of two
    /// k-steps (ptxas loads the next k-step's while the current one multiplies), the loaders' row
    /// coordinates, and an allowance for indices, addresses and loop counters. ptxas decides; this
    /// keeps the space away from configurations that cannot fit or would spill.
    var estimatedRegisters: Int {
        accumulators + min(2, config.blockK / 32) * (mmaRows * 4 + mmaColumns * 2) + tiling.loaderRegisters
            + ImmaLimits.reservedRegisters
    }
}

/// The limits an imma configuration must respect on one architecture.
struct ImmaLimits: Hashable, Sendable {
    let arch: GPUArchitecture

    /// At most this many int32 accumulators per thread (a 64x64 warp tile).
    static let maxAccumulators = 128
    /// Registers kept for addresses, coordinates and loop counters beside the tiles.
    static let reservedRegisters = 32
    /// At most this many activation copies per thread and k-tile: each keeps four registers of row
    /// coordinates for the whole kernel, and more only pay for spills.
    static let maxInputPiecesPerThread = 16
    /// Split-K partial sums beyond this are not worth their memory traffic (and the kernel indexes the
    /// workspace with 32-bit integers).
    static let maxWorkspaceBytes = 256 << 20

    /// Registers one thread may use in a block of `threads` threads with `__launch_bounds__(threads, 1)`:
    /// the block's register file shared out, in multiples of 8, at most the architecture's cap.
    func registerBudget(threads: Int) -> Int {
        min(arch.maxRegistersPerThread, arch.registersPerBlock / max(threads, 32) / 8 * 8)
    }
}
