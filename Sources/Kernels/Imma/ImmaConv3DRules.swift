/// The validity rules of the imma template: what a configuration must satisfy to compile, launch and
/// compute the right result on one architecture.
///
/// Each rule reads some of the knobs; the knobs are fixed in ``ImmaConv3DTemplate/knobOrder``, and a
/// rule is checked as soon as every knob it reads is fixed, so that the space prunes a prefix that no
/// completion can make valid.
struct ImmaConv3DRules: Hashable, Sendable {
    let geometry: ImmaConv3DGeometry
    let limits: ImmaLimits

    /// Calls `report` with each rule `config` breaks among those whose knobs are within the first
    /// `fixed` of ``ImmaConv3DTemplate/knobOrder`` (all of them for a complete configuration), until
    /// `report` returns false.
    func check(_ config: ImmaConv3DConfig, fixed: Int, _ report: (ImmaConv3DViolation) -> Bool) {
        let plan = ImmaConv3DPlan(geometry: geometry, config: config)
        let arch = limits.arch
        // Fixed order: block_m, block_n, warps_m, warps_n, block_k, a_vector, stages, split_k, raster_group.
        if fixed >= 1, !Self.fits(tile: config.blockM, smallest: ImmaConv3DTemplate.blockMValues[0], extent: geometry.m) {
            guard report(.oversizedTile(axis: "M", tile: config.blockM, extent: geometry.m)) else { return }
        }
        if fixed >= 2,
            !Self.fits(tile: config.blockN, smallest: ImmaConv3DTemplate.blockNValues[0], extent: geometry.groupColumns)
        {
            guard report(.oversizedTile(axis: "N", tile: config.blockN, extent: geometry.groupColumns)) else { return }
        }
        if fixed >= 3, config.blockM % (16 * config.warpsM) != 0 {
            guard report(.warpTile(axis: "M", block: config.blockM, warps: config.warpsM)) else { return }
        }
        guard fixed >= 4 else { return }
        if config.blockN % (16 * config.warpsN) != 0 {
            guard report(.warpTile(axis: "N", block: config.blockN, warps: config.warpsN)) else { return }
        }
        if config.threads > arch.maxThreadsPerBlock {
            guard report(.threads(config.threads, limit: arch.maxThreadsPerBlock)) else { return }
        }
        if plan.accumulators > ImmaLimits.maxAccumulators {
            guard report(.accumulators(plan.accumulators, limit: ImmaLimits.maxAccumulators)) else { return }
        }
        guard fixed >= 6 else { return }
        if geometry.reductionChannels % config.inputVectorBytes != 0 {
            guard report(geometry.inputVectorViolation(config.inputVectorBytes)) else { return }
        }
        if plan.tiling.inputPiecesPerThread > ImmaLimits.maxInputPiecesPerThread {
            guard report(.loaderCopies(plan.tiling.inputPiecesPerThread, limit: ImmaLimits.maxInputPiecesPerThread)) else { return }
        }
        let budget = limits.registerBudget(threads: config.threads)
        if plan.estimatedRegisters > budget {
            guard report(.registers(plan.estimatedRegisters, budget: budget, threads: config.threads)) else { return }
        }
        guard fixed >= 7 else { return }
        if plan.tiling.sharedBytes > arch.maxDynamicSharedBytesPerBlock {
            guard report(.sharedMemory(bytes: plan.tiling.sharedBytes, limit: arch.maxDynamicSharedBytesPerBlock)) else { return }
        }
        guard fixed >= 8 else { return }
        if config.splitK > plan.tiling.kTiles {
            guard report(.splitK(config.splitK, kTiles: plan.tiling.kTiles)) else { return }
        }
        if plan.tiling.workspaceElements * 4 > ImmaLimits.maxWorkspaceBytes {
            guard report(.workspace(bytes: plan.tiling.workspaceElements * 4, limit: ImmaLimits.maxWorkspaceBytes)) else { return }
        }
        if plan.tiling.grid.x > arch.maxGridDimensions.x {
            guard report(.gridDimension(axis: "x", extent: plan.tiling.grid.x, limit: arch.maxGridDimensions.x)) else { return }
        }
        if plan.tiling.grid.y > arch.maxGridDimensions.y {
            guard report(.gridDimension(axis: "y", extent: plan.tiling.grid.y, limit: arch.maxGridDimensions.y)) else { return }
        }
    }

    /// Every rule a complete `config` breaks.
    func violations(of config: ImmaConv3DConfig) -> [ImmaConv3DViolation] {
        var all: [ImmaConv3DViolation] = []
        check(config, fixed: ImmaConv3DTemplate.knobOrder.count) { violation in
            all.append(violation)
            return true
        }
        return all
    }

    /// Whether no rule among the first `fixed` knobs is broken.
    func passes(_ config: ImmaConv3DConfig, fixed: Int) -> Bool {
        var ok = true
        check(config, fixed: fixed) { _ in
            ok = false
            return false
        }
        return ok
    }

    /// A tile is worth having when half of it would not already cover the extent (the smallest tile
    /// always is): larger ones only compute padding.
    static func fits(tile: Int, smallest: Int, extent: Int) -> Bool {
        tile == smallest || tile < 2 * extent
    }

    /// One sentence per rule, for the space's report.
    func descriptions() -> [String] {
        let arch = limits.arch
        return [
            "block_m and block_n below twice the GEMM's M (\(geometry.m)) and N (\(geometry.groupColumns)\(geometry.isGrouped ? " per group" : "")), "
                + "or the smallest candidate",
            "warp tiles (block / warps) multiples of 16 along M and N",
            "threads per block (32 x warps) within \(arch.maxThreadsPerBlock)",
            "at most \(ImmaLimits.maxAccumulators) int32 accumulators per thread",
            "a_vector divides the \(geometry.vectorExtentName) \(geometry.reductionChannels); at most "
                + "\(ImmaLimits.maxInputPiecesPerThread) activation copies per thread and k-tile",
            "estimated registers within the per-thread budget of __launch_bounds__(threads, 1)",
            "stages x (block_m + block_n) x block_k bytes of shared memory within "
                + "\(arch.maxDynamicSharedBytesPerBlock)",
            "split_k at most the reduction's k-tiles, its workspace within \(ImmaLimits.maxWorkspaceBytes) bytes; "
                + "grid within \(arch.maxGridDimensions)",
        ]
    }
}

/// A rule an imma configuration breaks.
public enum ImmaConv3DViolation: Hashable, Sendable, CustomStringConvertible {
    case oversizedTile(axis: String, tile: Int, extent: Int)
    case warpTile(axis: String, block: Int, warps: Int)
    case threads(Int, limit: Int)
    case accumulators(Int, limit: Int)
    case inputVector(bytes: Int, pitch: Int)
    case groupInputVector(bytes: Int, channels: Int)
    case loaderCopies(Int, limit: Int)
    case registers(Int, budget: Int, threads: Int)
    case sharedMemory(bytes: Int, limit: Int)
    case splitK(Int, kTiles: Int)
    case pipeline(stages: Int, inFlight: Int)
    case workspace(bytes: Int, limit: Int)
    case gridDimension(axis: String, extent: Int, limit: Int)
    case occupancyRegisters(blocks: Int, registers: Int, budget: Int)
    case occupancyShared(blocks: Int, bytes: Int, perSM: Int)
    case groupPack(Int, candidates: [Int])
    case persistentSplit(Int)
    case stagedGrouped(groups: Int)
    case notRendered(knob: String)
    case streamKConflict(knob: String, value: Int)
    case streamKGrouped(groups: Int)
    case warpSpecializedConflict(knob: String, value: Int)

    public var description: String {
        switch self {
        case let .oversizedTile(axis, tile, extent):
            return "block tile \(tile) along \(axis) is at least twice the extent \(extent)"
        case let .warpTile(axis, block, warps):
            return "block extent \(block) along \(axis) does not split into \(warps) warp tiles of a multiple of 16"
        case let .threads(n, limit):
            return "\(n) threads per block exceed \(limit)"
        case let .accumulators(n, limit):
            return "\(n) int32 accumulators per thread exceed \(limit)"
        case let .inputVector(bytes, pitch):
            return "a_vector \(bytes) bytes does not divide the input channel pitch \(pitch)"
        case let .groupInputVector(bytes, channels):
            return "a_vector \(bytes) bytes does not divide the \(channels) input channels of a group (C/G)"
        case let .loaderCopies(n, limit):
            return "\(n) activation copies per thread and k-tile exceed \(limit)"
        case let .registers(n, budget, threads):
            return "an estimated \(n) registers per thread exceed the \(budget) of a block of \(threads) threads"
        case let .sharedMemory(bytes, limit):
            return "\(bytes) bytes of shared memory exceed \(limit)"
        case let .splitK(splits, kTiles):
            return "split_k \(splits) exceeds the \(kTiles) k-tiles of the reduction"
        case let .pipeline(stages, inFlight):
            return "\(stages) stages leave no stage to load into with \(inFlight) wgmma group in flight; expected at least \(2 + inFlight)"
        case let .workspace(bytes, limit):
            return "a split-K workspace of \(bytes) bytes exceeds \(limit)"
        case let .gridDimension(axis, extent, limit):
            return "grid extent \(extent) along \(axis) exceeds \(limit)"
        case let .occupancyRegisters(blocks, registers, budget):
            return "min_blocks \(blocks): an estimated \(registers) registers per thread exceed the \(budget) that \(blocks) resident blocks leave"
        case let .notRendered(knob):
            return "\(knob) 1 is not rendered by this template; expected 0"
        case let .stagedGrouped(groups):
            return "staged_output 1 stores whole rows of one GEMM: not for \(groups) grouped GEMMs"
        case let .streamKConflict(knob, value):
            return "stream_k 1 shares out the k-tiles with its own grid: \(knob) \(value) must be \(knob == "split_k" ? 1 : 0)"
        case let .streamKGrouped(groups):
            return "stream_k 1 walks the tiles of one GEMM: not for \(groups) grouped GEMMs"
        case let .warpSpecializedConflict(knob, value):
            return "warp_specialized 1 hands a block's own k-tiles from its producer to its consumers: \(knob) \(value) must be \(knob == "split_k" ? 1 : 0)"
        case let .persistentSplit(splits):
            return "persistent 1 walks whole output tiles: split_k \(splits) must be 1"
        case let .groupPack(pack, candidates):
            return "group_pack \(pack) is not one of this convolution's \(candidates)"
        case let .occupancyShared(blocks, bytes, perSM):
            return "min_blocks \(blocks): \(blocks) blocks of \(bytes) bytes of shared memory (plus 1 KiB each) exceed the SM's \(perSM)"
        }
    }
}
