/// A rule of the halo template that a configuration breaks, as a sentence that names the values.
public enum ImmaHaloViolation: Hashable, Sendable, CustomStringConvertible {
    case boxRows(rows: Int, allowed: [Int])
    case oversizedTile(axis: String, tile: Int, extent: Int)
    case warpgroupRows(rows: Int, warpgroups: Int)
    case threads(Int, limit: Int)
    case accumulators(Int, limit: Int)
    case channelPadding(block: Int, pitch: Int)
    case registers(Int, budget: Int, threads: Int)
    case sharedMemory(bytes: Int, limit: Int)
    case haloPipeline(stages: Int, taps: Int)
    case gridDimension(extent: Int, limit: Int)
    case occupancyRegisters(blocks: Int, registers: Int, budget: Int)
    case occupancyShared(blocks: Int, bytes: Int, perSM: Int)
    case residentStages(stages: Int, expected: Int)

    public var description: String {
        switch self {
        case let .boxRows(rows, allowed):
            return "the box has \(rows) pixels; expected one of \(allowed) (64-row wgmma tiles)"
        case let .oversizedTile(axis, tile, extent):
            return "tile \(tile) along \(axis) is at least twice the output extent \(extent)"
        case let .warpgroupRows(rows, warpgroups):
            return "\(rows) box pixels do not split into 64-row wgmma tiles for \(warpgroups) warpgroups"
        case let .threads(n, limit):
            return "\(n) threads per block exceed \(limit)"
        case let .accumulators(n, limit):
            return "\(n) int32 accumulators per thread exceed \(limit)"
        case let .channelPadding(block, pitch):
            return "channel_block \(block) is more than half zero padding for the input channel pitch \(pitch)"
        case let .registers(n, budget, threads):
            return "an estimated \(n) registers per thread exceed the \(budget) of a block of \(threads) threads"
        case let .sharedMemory(bytes, limit):
            return "\(bytes) bytes of shared memory exceed \(limit)"
        case let .haloPipeline(stages, taps):
            return "\(stages) stages load \(stages - 2) steps ahead, which leaves none of the \(taps) taps of a channel block "
                + "to copy the next block's halo in; expected at most \(taps + 1) stages"
        case let .gridDimension(extent, limit):
            return "\(extent) blocks exceed the grid's \(limit)"
        case let .occupancyRegisters(blocks, registers, budget):
            return "min_blocks \(blocks): an estimated \(registers) registers per thread exceed the \(budget) that \(blocks) resident blocks leave"
        case let .occupancyShared(blocks, bytes, perSM):
            return "min_blocks \(blocks): \(blocks) blocks of \(bytes) bytes of shared memory (plus 1 KiB each) exceed the SM's \(perSM)"
        case let .residentStages(stages, expected):
            return "resident 1 keeps every weight tile in shared memory and has no ring for stages \(stages) to size; expected \(expected)"
        }
    }
}

/// The validity rules of the halo template, checked in ``ImmaHaloConv3DTemplate/knobOrder`` as soon as
/// the knobs a rule reads are fixed.
struct ImmaHaloConv3DRules: Hashable, Sendable {
    let geometry: ImmaConv3DGeometry
    let limits: ImmaLimits

    /// Box sizes the template renders: one to four 64-row `wgmma` tiles.
    static let blockMValues = [64, 128, 256]
    /// Shared memory the hardware keeps per resident block besides what the block asks for.
    static let reservedSharedBytesPerBlock = 1024

    /// Calls `report` with each broken rule among the first `fixed` knobs until it returns false.
    func check(_ config: ImmaHaloConv3DConfig, fixed: Int, _ report: (ImmaHaloViolation) -> Bool) {
        let plan = ImmaHaloConv3DPlan(geometry: geometry, config: config)
        let arch = limits.arch, out = geometry.workload.output
        // Fixed order: tile_z, tile_y, tile_x, block_n, warpgroups, channel_block, stages, min_blocks, resident; the
        // rules before `resident` read it too (``passes(_:fixed:)`` tries both values until it is fixed).
        let resident = config.resident == 1
        let tiles: [(String, Int, [Int], Int)] = [
            ("z", config.tileZ, ImmaHaloConv3DTemplate.tileZValues, out.depth),
            ("y", config.tileY, ImmaHaloConv3DTemplate.tileYValues, out.height),
            ("x", config.tileX, ImmaHaloConv3DTemplate.tileXValues, out.width),
        ]
        for (k, (axis, tile, candidates, extent)) in tiles.enumerated() where fixed > k {
            if !ImmaConv3DRules.fits(tile: tile, smallest: candidates[0], extent: extent) {
                guard report(.oversizedTile(axis: axis, tile: tile, extent: extent)) else { return }
            }
        }
        guard fixed >= 3 else { return }
        if !Self.blockMValues.contains(config.blockM) {
            guard report(.boxRows(rows: config.blockM, allowed: Self.blockMValues)) else { return }
        }
        guard fixed >= 4 else { return }
        if !ImmaConv3DRules.fits(tile: config.blockN, smallest: ImmaHaloConv3DTemplate.blockNValues[0], extent: geometry.outputPitch) {
            guard report(.oversizedTile(axis: "N", tile: config.blockN, extent: geometry.outputPitch)) else { return }
        }
        guard fixed >= 5 else { return }
        if !resident, config.blockM % (64 * config.warpgroups) != 0 {
            guard report(.warpgroupRows(rows: config.blockM, warpgroups: config.warpgroups)) else { return }
        }
        if config.threads > arch.maxThreadsPerBlock {
            guard report(.threads(config.threads, limit: arch.maxThreadsPerBlock)) else { return }
        }
        if plan.accumulators > ImmaLimits.maxAccumulators {
            guard report(.accumulators(plan.accumulators, limit: ImmaLimits.maxAccumulators)) else { return }
        }
        guard fixed >= 6 else { return }
        if config.channelBlock != ImmaHaloConv3DTemplate.channelBlockValues[0], config.channelBlock >= 2 * geometry.inputPitch {
            guard report(.channelPadding(block: config.channelBlock, pitch: geometry.inputPitch)) else { return }
        }
        let budget = limits.registerBudget(threads: config.threads)
        if plan.estimatedRegisters > budget {
            guard report(.registers(plan.estimatedRegisters, budget: budget, threads: config.threads)) else { return }
        }
        guard fixed >= 7 else { return }
        if plan.sharedBytes > arch.maxDynamicSharedBytesPerBlock {
            guard report(.sharedMemory(bytes: plan.sharedBytes, limit: arch.maxDynamicSharedBytesPerBlock)) else { return }
        }
        if !resident, plan.channelBlocks > 1, plan.haloPortions < 1 {
            guard report(.haloPipeline(stages: config.stages, taps: plan.taps)) else { return }
        }
        if plan.blocks > arch.maxGridDimensions.x {
            guard report(.gridDimension(extent: plan.blocks, limit: arch.maxGridDimensions.x)) else { return }
        }
        guard fixed >= 8 else { return }
        if config.minBlocks > 1 {
            let residentBudget = limits.registerBudget(threads: config.threads * config.minBlocks)
            if plan.estimatedRegisters > residentBudget {
                guard report(.occupancyRegisters(blocks: config.minBlocks, registers: plan.estimatedRegisters, budget: residentBudget)) else { return }
            }
            let perSM = arch.maxDynamicSharedBytesPerBlock + Self.reservedSharedBytesPerBlock
            if config.minBlocks * (plan.sharedBytes + Self.reservedSharedBytesPerBlock) > perSM {
                guard report(.occupancyShared(blocks: config.minBlocks, bytes: plan.sharedBytes, perSM: perSM)) else { return }
            }
        }
        guard fixed >= 9, resident else { return }
        let firstStages = ImmaHaloConv3DTemplate.stagesValues[0]
        if config.stages != firstStages {
            guard report(.residentStages(stages: config.stages, expected: firstStages)) else { return }
        }
    }

    func violations(of config: ImmaHaloConv3DConfig) -> [ImmaHaloViolation] {
        var all: [ImmaHaloViolation] = []
        check(config, fixed: ImmaHaloConv3DTemplate.knobOrder.count) { violation in
            all.append(violation)
            return true
        }
        return all
    }

    func passes(_ config: ImmaHaloConv3DConfig, fixed: Int) -> Bool {
        let residentIndex = ImmaHaloConv3DTemplate.knobOrder.firstIndex { $0.0 == .resident } ?? 0
        if fixed <= residentIndex {
            // `resident` is not fixed yet: some value of it must pass.
            return [0, 1].contains { value in
                var candidate = config
                candidate.resident = value
                return passesOne(candidate, fixed: fixed)
            }
        }
        return passesOne(config, fixed: fixed)
    }

    private func passesOne(_ config: ImmaHaloConv3DConfig, fixed: Int) -> Bool {
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
            "tile_z, tile_y, tile_x and block_n below twice the output's depth, height, width and channel pitch "
                + "(\(geometry.workload.output), \(geometry.outputPitch)), or the smallest candidate",
            "the box has 64, 128 or 256 pixels, split into 64-row wgmma tiles per warpgroup (with resident weights, each warpgroup's own box)",
            "at most \(ImmaLimits.maxAccumulators) int32 accumulators per thread",
            "channel_block 32, or less than twice the input channel pitch \(geometry.inputPitch)",
            "estimated registers (accumulators, double-buffered A fragments) within the per-thread budget of __launch_bounds__(threads, 1)",
            "stages x block_n x channel_block bytes of weights plus one halo (two with several channel blocks) plus 1024, within "
                + "\(arch.maxDynamicSharedBytesPerBlock)",
            "with several channel blocks, at most taps + 1 stages (the next halo loads during the current block's taps); "
                + "blocks within \(arch.maxGridDimensions.x)",
            "min_blocks above 1 only where that many blocks' estimated registers and shared memory (plus 1 KiB each) fit one SM",
            "resident 1 (every weight tile in shared memory, two halos per warpgroup, within the shared memory above) only with "
                + "stages at its first candidate",
        ]
    }
}

/// The halo template's constraints: its rules on each prefix of the knobs.
typealias ImmaHaloConv3DConstraints = PrefixRuleConstraints<ImmaHaloConv3DConfig>

extension PrefixRuleConstraints where Config == ImmaHaloConv3DConfig {
    init(rules: ImmaHaloConv3DRules) {
        self.init(
            candidates: ImmaHaloConv3DTemplate.knobOrder.map(\.1),
            build: { v in
                ImmaHaloConv3DConfig(
                    tileZ: v[0], tileY: v[1], tileX: v[2], blockN: v[3], channelBlock: v[5], warpgroups: v[4], stages: v[6],
                    minBlocks: v[7], resident: v[8])
            },
            passes: { rules.passes($0, fixed: $1) })
    }
}
