/// The validity rules of the `wgmma` template, checked in ``ImmaWgmmaConv3DTemplate/knobOrder`` as soon
/// as the knobs a rule reads are fixed (see ``ImmaConv3DRules`` for the `mma.sync` twin).
///
/// A grouped convolution has one geometry per `group_pack` candidate (``ImmaConv3DGeometry``: P groups
/// per GEMM) and the knob last in the order: until it is fixed, a prefix passes where it passes for
/// some candidate; then the rules read that candidate's geometry.
struct ImmaWgmmaConv3DRules: Hashable, Sendable {
    /// The geometry of each `group_pack` candidate, in the knob's order (one, of pack 1, when ungrouped).
    let variants: [ImmaConv3DGeometry]
    let limits: ImmaLimits
    /// Whether the space has the `group_pack` knob: the convolution is grouped.
    let packs: Bool
    /// Whether the kernel renders `persistent` and `staged_output` (the int8 template); the fp16 one
    /// (``HmmaWgmmaConv3DTemplate``) has its own epilogue and neither: they must stay 0 there.
    let persistentAndStaging: Bool

    init(geometry: ImmaConv3DGeometry, limits: ImmaLimits, persistentAndStaging: Bool = true) {
        self.init(variants: [geometry], limits: limits, packs: geometry.workload.groups > 1, persistentAndStaging: persistentAndStaging)
    }

    init(variants: [ImmaConv3DGeometry], limits: ImmaLimits, packs: Bool, persistentAndStaging: Bool = true) {
        precondition(!variants.isEmpty, "at least one geometry")
        self.variants = variants
        self.limits = limits
        self.packs = packs
        self.persistentAndStaging = persistentAndStaging
    }

    /// The first candidate's geometry: what the rules' descriptions quote.
    var geometry: ImmaConv3DGeometry { variants[0] }
    /// The `group_pack` candidates.
    var groupPacks: [Int] { variants.map(\.groupPack) }
    /// Knobs in the order the rules fix them: ``ImmaWgmmaConv3DTemplate/knobOrder`` (`persistent` last), then `group_pack`
    /// when the convolution is grouped.
    var knobCount: Int { ImmaWgmmaConv3DTemplate.knobOrder.count + (packs ? 1 : 0) }

    /// The geometry `config`'s `group_pack` selects, or nil when it is not a candidate.
    func geometry(for config: ImmaWgmmaConv3DConfig) -> ImmaConv3DGeometry? {
        variants.first { $0.groupPack == config.groupPack }
    }

    static func tiling(_ geometry: ImmaConv3DGeometry, _ config: ImmaWgmmaConv3DConfig) -> ImmaTiling {
        var tiling = ImmaTiling(
            geometry: geometry, blockM: config.blockM, blockN: config.blockN, blockK: config.blockK,
            threads: config.threads, stages: config.stages, splitK: config.splitK,
            inputVectorBytes: config.inputVectorBytes, rasterGroup: config.rasterGroup, sharedAlignment: 1024)
        if config.persistent == 1 {
            tiling.persistentBlocks = ImmaTiling.persistentBlocks(mTiles: tiling.mTiles, nTiles: tiling.nTiles, minBlocks: config.minBlocks)
        } else if config.streamK == 1 {
            tiling.streamKBlocks = ImmaTiling.streamKBlocks(work: tiling.tiles * tiling.kTiles, minBlocks: config.minBlocks)
        }
        tiling.stagedOutput = config.stagedOutput == 1
        tiling.warpSpecialized = config.warpSpecialized == 1
        return tiling
    }

    /// The registers a thread of `config` needs, estimated: accumulators, loader bookkeeping and a reserve.
    /// A warp-specialized kernel's consumers hold no loader registers and its producer no accumulators;
    /// the compiler gives every thread the larger of the two.
    /// The producer's reserve beside its loader bookkeeping, larger than the consumers' (it keeps the loop
    /// over tiles, stages and barrier phases, and the source pointers). Measured with NVRTC 13.5 for sm_90a
    /// (2026-12-08): i3d.pw's persistent 128 x 32 x 64 kernel (36 registers of bookkeeping) spills 48 bytes
    /// under the 80 registers of three resident blocks, so 36 + 48 must exceed 80; r2p1d.t's 128 x 64 x 128
    /// one needs 75 at two blocks, which 40 + 48 refuses — the estimate errs on the side of no spills.
    static let producerReserve = 48

    static func estimatedRegisters(_ config: ImmaWgmmaConv3DConfig, _ tiling: ImmaTiling) -> Int {
        let consumers = accumulators(config) + ImmaLimits.reservedRegisters
        guard tiling.warpSpecialized else { return consumers + tiling.loaderRegisters }
        return max(consumers, tiling.loaderRegisters + producerReserve)
    }

    /// int32 accumulators per thread: `blockN / 2` per 64-row `wgmma` tile, one tile per 64 rows of
    /// the warpgroup.
    static func accumulators(_ config: ImmaWgmmaConv3DConfig) -> Int { config.warpgroupM / 64 * config.blockN / 2 }

    /// Calls `report` with each broken rule among the first `fixed` knobs until it returns false.
    func check(_ config: ImmaWgmmaConv3DConfig, fixed: Int, _ report: (ImmaConv3DViolation) -> Bool) {
        guard let geometry = geometry(for: config) else {
            _ = report(.groupPack(config.groupPack, candidates: groupPacks))
            return
        }
        let tiling = Self.tiling(geometry, config)
        let arch = limits.arch
        // Fixed order: block_m, block_n, warpgroups, block_k, a_vector, stages, wgmma_in_flight, split_k,
        // raster_group.
        let smallestM = ImmaWgmmaConv3DTemplate.blockMValues[0], smallestN = ImmaWgmmaConv3DTemplate.blockNValues[0]
        if fixed >= 1, !ImmaConv3DRules.fits(tile: config.blockM, smallest: smallestM, extent: geometry.m) {
            guard report(.oversizedTile(axis: "M", tile: config.blockM, extent: geometry.m)) else { return }
        }
        if fixed >= 2, !ImmaConv3DRules.fits(tile: config.blockN, smallest: smallestN, extent: geometry.groupColumns) {
            guard report(.oversizedTile(axis: "N", tile: config.blockN, extent: geometry.groupColumns)) else { return }
        }
        guard fixed >= 3 else { return }
        if config.blockM % (64 * config.warpgroups) != 0 {
            guard report(.warpTile(axis: "M (64-row wgmma tiles per warpgroup)", block: config.blockM, warps: config.warpgroups)) else { return }
        }
        if config.threads > arch.maxThreadsPerBlock {
            guard report(.threads(config.threads, limit: arch.maxThreadsPerBlock)) else { return }
        }
        let accumulators = Self.accumulators(config)
        if accumulators > ImmaLimits.maxAccumulators {
            guard report(.accumulators(accumulators, limit: ImmaLimits.maxAccumulators)) else { return }
        }
        guard fixed >= 5 else { return }
        if geometry.reductionChannels % config.inputVectorBytes != 0 {
            guard report(geometry.inputVectorViolation(config.inputVectorBytes)) else { return }
        }
        if tiling.inputPiecesPerThread > ImmaLimits.maxInputPiecesPerThread {
            guard report(.loaderCopies(tiling.inputPiecesPerThread, limit: ImmaLimits.maxInputPiecesPerThread)) else { return }
        }
        let budget = limits.registerBudget(threads: config.threads)
        let registers = Self.estimatedRegisters(config, tiling)
        if registers > budget {
            guard report(.registers(registers, budget: budget, threads: config.threads)) else { return }
        }
        guard fixed >= 6 else { return }
        // Until `persistent` is fixed, the smaller of the two ways to hold the weights must fit.
        var sharedBytes = tiling.sharedBytes
        if fixed < 11 {
            var other = config
            other.persistent = 1 - config.persistent
            sharedBytes = min(sharedBytes, Self.tiling(geometry, other).sharedBytes)
        }
        // (staged_output, fixed later, only adds: its first candidate, 0, is the smaller.)
        if sharedBytes > arch.maxDynamicSharedBytesPerBlock {
            guard report(.sharedMemory(bytes: sharedBytes, limit: arch.maxDynamicSharedBytesPerBlock)) else { return }
        }
        guard fixed >= 7 else { return }
        if config.stages < 2 + config.wgmmaInFlight {
            guard report(.pipeline(stages: config.stages, inFlight: config.wgmmaInFlight)) else { return }
        }
        guard fixed >= 8 else { return }
        if config.splitK > tiling.kTiles {
            guard report(.splitK(config.splitK, kTiles: tiling.kTiles)) else { return }
        }
        if tiling.workspaceElements * 4 > ImmaLimits.maxWorkspaceBytes {
            guard report(.workspace(bytes: tiling.workspaceElements * 4, limit: ImmaLimits.maxWorkspaceBytes)) else { return }
        }
        if tiling.grid.x > arch.maxGridDimensions.x {
            guard report(.gridDimension(axis: "x", extent: tiling.grid.x, limit: arch.maxGridDimensions.x)) else { return }
        }
        if tiling.grid.y > arch.maxGridDimensions.y {
            guard report(.gridDimension(axis: "y", extent: tiling.grid.y, limit: arch.maxGridDimensions.y)) else { return }
        }
        guard fixed >= 10 else { return }
        if config.minBlocks > 1 {
            let residentBudget = limits.registerBudget(threads: config.threads * config.minBlocks)
            if registers > residentBudget {
                guard report(.occupancyRegisters(blocks: config.minBlocks, registers: registers, budget: residentBudget)) else { return }
            }
            // An SM's shared memory is the largest block's allowance plus the 1 KiB it reserves per block.
            let perSM = arch.maxDynamicSharedBytesPerBlock + Self.reservedSharedBytesPerBlock
            if config.minBlocks * (sharedBytes + Self.reservedSharedBytesPerBlock) > perSM {
                guard report(.occupancyShared(blocks: config.minBlocks, bytes: sharedBytes, perSM: perSM)) else { return }
            }
        }
        // persistent (knob 11): whole output tiles, so no split-K; its resident weights are in the shared
        // memory counted above.
        guard fixed >= 11 else { return }
        if config.persistent == 1, !persistentAndStaging {
            guard report(.notRendered(knob: "persistent")) else { return }
        }
        if config.persistent == 1, config.splitK != 1 {
            guard report(.persistentSplit(config.splitK)) else { return }
        }
        // staged_output (knob 12): one contiguous row segment per output pixel, which a grouped GEMM's
        // columns are not.
        guard fixed >= 12 else { return }
        if config.stagedOutput == 1, !persistentAndStaging {
            guard report(.notRendered(knob: "staged_output")) else { return }
        }
        if config.stagedOutput == 1, geometry.isGrouped {
            guard report(.stagedGrouped(groups: geometry.groups)) else { return }
        }
        // stream_k (knob 13): its own grid over one GEMM's tiles, whole reductions shared out, the ring of
        // a non-persistent kernel (counted above), a partial tile per block in the workspace.
        if fixed >= 13, config.streamK == 1 {
            if !persistentAndStaging {
                guard report(.notRendered(knob: "stream_k")) else { return }
            }
            if config.splitK != 1 {
                guard report(.streamKConflict(knob: "split_k", value: config.splitK)) else { return }
            }
            if config.persistent != 0 {
                guard report(.streamKConflict(knob: "persistent", value: config.persistent)) else { return }
            }
            if geometry.isGrouped {
                guard report(.streamKGrouped(groups: geometry.groups)) else { return }
            }
            if tiling.workspaceElements * 4 > ImmaLimits.maxWorkspaceBytes {
                guard report(.workspace(bytes: tiling.workspaceElements * 4, limit: ImmaLimits.maxWorkspaceBytes)) else { return }
            }
        }
        // warp_specialized (knob 14): the producer hands a block's own k-tiles to its consumers; the
        // resources above already count its warpgroup and mbarriers. Until it is fixed they read 0, its first
        // candidate and the lesser demand: the producer adds threads, shared memory and copies per loading
        // thread, and frees registers only where the per-thread budget is the maximum either way.
        guard fixed >= 14, config.warpSpecialized == 1 else { return }
        if !persistentAndStaging {
            guard report(.notRendered(knob: "warp_specialized")) else { return }
        }
        if config.splitK != 1 {
            guard report(.warpSpecializedConflict(knob: "split_k", value: config.splitK)) else { return }
        }
    }

    /// Shared memory the hardware keeps per resident block besides what the block asks for.
    static let reservedSharedBytesPerBlock = 1024

    func violations(of config: ImmaWgmmaConv3DConfig) -> [ImmaConv3DViolation] {
        var all: [ImmaConv3DViolation] = []
        check(config, fixed: knobCount) { violation in
            all.append(violation)
            return true
        }
        return all
    }

    func passes(_ config: ImmaWgmmaConv3DConfig, fixed: Int) -> Bool {
        if variants.count > 1, fixed < knobCount {
            // group_pack is not fixed yet: some candidate must pass.
            return variants.contains { variant in
                var candidate = config
                candidate.groupPack = variant.groupPack
                return passesOne(candidate, fixed: fixed)
            }
        }
        return passesOne(config, fixed: fixed)
    }

    private func passesOne(_ config: ImmaWgmmaConv3DConfig, fixed: Int) -> Bool {
        var ok = true
        check(config, fixed: fixed) { _ in
            ok = false
            return false
        }
        return ok
    }

    func descriptions() -> [String] {
        let arch = limits.arch
        return [
            "block_m and block_n below twice the GEMM's M (\(geometry.m)) and N (\(geometry.groupColumns)\(geometry.isGrouped ? " per group" : "")), "
                + "or the smallest candidate",
            "block_m splits into 64-row wgmma tiles per warpgroup",
            "at most \(ImmaLimits.maxAccumulators) int32 accumulators per thread",
            "a_vector divides the \(geometry.vectorExtentName) \(geometry.reductionChannels); at most "
                + "\(ImmaLimits.maxInputPiecesPerThread) activation copies per thread and k-tile",
            "estimated registers within the per-thread budget of __launch_bounds__(threads, 1)",
            "stages x (block_m + block_n) x block_k bytes, plus 1024 for alignment, within "
                + "\(arch.maxDynamicSharedBytesPerBlock)",
            "at least 2 + wgmma_in_flight stages",
            "split_k at most the reduction's k-tiles, its workspace within \(ImmaLimits.maxWorkspaceBytes) bytes; "
                + "grid within \(arch.maxGridDimensions)",
            "min_blocks above 1 only where that many blocks' estimated registers and shared memory (plus 1 KiB each) fit one SM",
            "persistent 1 only without split-K, its resident weights (every k-tile of a channel tile) within the shared memory above",
            "staged_output 1 only for ungrouped GEMMs, its 2 x block_m x block_n staging bytes within the shared memory above",
            "stream_k 1 only for ungrouped GEMMs, without split-K or persistent, its partial tile per block within the workspace limit",
            "warp_specialized 1 only without split-K; its producer warpgroup counts in the threads, registers "
                + "(the larger of the consumers' and the producer's) and shared memory (two 8-byte mbarriers per stage) above",
        ] + (packs ? ["group_pack one of \(groupPacks): divisors P of the \(geometry.workload.groups) groups whose GEMM of P x C/G "
            + "channels the copies can read, up to 256 channels; the rules above then read that GEMM"] : [])
    }
}

/// The `wgmma` template's constraints: its rules on each prefix of the knobs (`raster_group` is free).
typealias ImmaWgmmaConv3DConstraints = PrefixRuleConstraints<ImmaWgmmaConv3DConfig>

extension PrefixRuleConstraints where Config == ImmaWgmmaConv3DConfig {
    init(rules: ImmaWgmmaConv3DRules) {
        let order = ImmaWgmmaConv3DTemplate.knobOrder(rules)
        self.init(
            candidates: order.map(\.1), free: Set(order.indices.filter { order[$0].0 == .rasterGroup }),
            build: { v in
                ImmaWgmmaConv3DConfig(
                    blockM: v[0], blockN: v[1], blockK: v[3], warpgroups: v[2], stages: v[5], wgmmaInFlight: v[6], splitK: v[7],
                    inputVectorBytes: v[4], rasterGroup: v[8], minBlocks: v[9], groupPack: v.count > 14 ? v[14] : rules.groupPacks[0],
                    persistent: v[10], stagedOutput: v[11], streamK: v[12], warpSpecialized: v[13])
            },
            passes: { rules.passes($0, fixed: $1) })
    }
}
