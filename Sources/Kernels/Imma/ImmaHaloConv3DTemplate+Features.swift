import ConvGeometry

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ImmaHaloConv3DTemplate {
    /// Quantities a config's time follows more directly than the knobs, for a tuner's cost model: the
    /// grid and its waves, how much of the edge boxes and n-tiles is useful, the (channel block, tap)
    /// steps a block walks, its shared memory and registers, and the bytes it copies (halo and weights).
    ///
    /// The names, in the order of ``features(of:for:on:)``'s values; every value is a plain number or a
    /// base-2 logarithm.
    public static let featureNames = [
        "log2_blocks", "resident_blocks", "waves", "last_wave_fill", "m_box_use", "n_tile_use", "log2_steps_per_block",
        "log2_shared_bytes", "registers", "log2_block_macs", "halo_reuse", "log2_global_bytes", "log2_roofline_seconds",
    ]

    /// A function from a point of `space` (the space of `workload` on `arch`) to its features; points
    /// the space cannot decode map to an empty row.
    public static func featureFunction(
        for workload: Conv3DParameters, on arch: GPUArchitecture, space: ConfigSpace
    ) throws(KernelsError) -> @Sendable (ConfigPoint) -> [Double] {
        let rules = try rules(for: workload, on: arch)
        return { point in
            guard let config = try? space.config(at: point, as: ImmaHaloConv3DConfig.self) else { return [] }
            return features(of: config, rules: rules)
        }
    }

    /// A function from a point of `space` to a rough estimate of its time in seconds (the last of
    /// ``featureNames``, unlogged); points the space cannot decode map to infinity.
    public static func estimateFunction(
        for workload: Conv3DParameters, on arch: GPUArchitecture, space: ConfigSpace
    ) throws(KernelsError) -> @Sendable (ConfigPoint) -> Double {
        let rules = try rules(for: workload, on: arch)
        return { point in
            guard let config = try? space.config(at: point, as: ImmaHaloConv3DConfig.self) else { return .infinity }
            return exp2(features(of: config, rules: rules).last ?? .infinity)
        }
    }

    /// The features of `config` on `workload` (see ``featureNames``).
    public static func features(
        of config: ImmaHaloConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) -> [Double] {
        features(of: config, rules: try rules(for: workload, on: arch))
    }

    static func features(of config: ImmaHaloConv3DConfig, rules: ImmaHaloConv3DRules) -> [Double] {
        let g = rules.geometry, arch = rules.limits.arch
        let plan = ImmaHaloConv3DPlan(geometry: g, config: config)
        // The presets name no device; 132 is the SM count of the H100 SXM and the H200.
        let multiprocessors = Double(arch.multiprocessorCount ?? 132)
        let registers = plan.estimatedRegisters
        let reserved = ImmaHaloConv3DRules.reservedSharedBytesPerBlock
        let bySharedMemory = (arch.maxDynamicSharedBytesPerBlock + reserved) / (plan.sharedBytes + reserved)
        let byRegisters = max(config.minBlocks, arch.registersPerBlock / (config.threads * max(registers, 1)))
        let resident = max(1, min(bySharedMemory, 2048 / config.threads, byRegisters))
        let blocks = Double(plan.blocks), items = Double(plan.workItems)
        let slots = multiprocessors * Double(resident)
        var waves = (blocks / slots).rounded(.up)
        var quantization = waves * slots / blocks
        if plan.resident {
            // A persistent grid: each warpgroup walks boxes; the quantization is in the rounds of boxes.
            let walkers = blocks * Double(config.warpgroups)
            waves = (items / walkers).rounded(.up)
            quantization = waves * walkers / items
        }
        let blockMACs = Double(config.blockM * config.blockN) * Double(plan.iterations * config.channelBlock)
        let paddedMACs = items * blockMACs
        // Every box copies its halo once per channel block and a weight tile per step (from L2; with resident
        // weights, its share of its block's one copy), and writes its outputs once.
        let globalBytes = items * Double(plan.haloBytesPerBlock + plan.weightBytesPerBlock) + Double(g.m * g.outputPitch)
        // H100 SXM: ~990 dense int8 tera-MACs; ~6 TB/s from L2 to the SMs, which these copies mostly hit.
        let roofline = max(paddedMACs / 990e12, globalBytes / 6e12) * quantization
        return [
            log2(blocks),
            Double(resident),
            waves,
            blocks / (waves * slots),
            Double(g.m) / Double(plan.boxes * config.blockM),
            Double(g.outputPitch) / Double(plan.nTiles * config.blockN),
            log2(Double(plan.iterations)),
            log2(Double(plan.sharedBytes)),
            Double(registers),
            log2(blockMACs),
            Double(config.blockM * plan.taps) / Double(plan.haloPixels),
            log2(globalBytes),
            log2(roofline),
        ]
    }
}
