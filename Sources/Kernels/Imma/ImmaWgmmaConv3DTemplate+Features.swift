import ConvGeometry

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ImmaWgmmaConv3DTemplate {
    /// Quantities a config's time follows more directly than it follows the knobs, for a tuner's cost
    /// model: how many blocks the grid has and how many waves they take, how much of the edge tiles is
    /// useful work, the k-tiles a block walks, the shared memory and registers a block holds.
    ///
    /// The names, in the order of ``features(of:for:on:)``'s values; every value is a plain number or
    /// a base-2 logarithm (for quantities that span orders of magnitude).
    public static let featureNames = [
        "log2_blocks", "resident_blocks", "waves", "last_wave_fill", "m_tile_use", "n_tile_use",
        "log2_k_tiles_per_block", "log2_shared_bytes", "registers", "log2_block_macs", "log2_split_bytes",
        "k_tile_use", "log2_padded_macs", "log2_global_bytes", "log2_roofline_seconds",
    ]

    /// A function from a point of `space` (the space of `workload` on `arch`) to its features, or nil
    /// where the workload or architecture has no such space. Points the space cannot decode map to an
    /// empty row.
    ///
    /// ```swift
    /// let space = try ImmaWgmmaConv3DTemplate.space(for: layer, on: .sm90a)
    /// let features = try ImmaWgmmaConv3DTemplate.featureFunction(for: layer, on: .sm90a, space: space)
    /// var search = ModelGuidedSearch(space: space, seed: 1, hints: SearchHints(features: features))  // Tuning
    /// ```
    public static func featureFunction(
        for workload: Conv3DParameters, on arch: GPUArchitecture, space: ConfigSpace
    ) throws(KernelsError) -> @Sendable (ConfigPoint) -> [Double] {
        featureFunction(rules: try rules(for: workload, on: arch), space: space)
    }

    /// ``featureFunction(for:on:space:)`` under `rules` (the int8 or the fp16 byte geometry).
    static func featureFunction(rules: ImmaWgmmaConv3DRules, space: ConfigSpace) -> @Sendable (ConfigPoint) -> [Double] {
        return { point in
            guard let config = try? space.config(at: point, as: ImmaWgmmaConv3DConfig.self) else { return [] }
            return features(of: config, rules: rules)
        }
    }

    /// A function from a point of `space` to a rough estimate of its time in seconds: the larger of its
    /// padded multiply-adds at the H100's int8 rate and its global traffic at its memory bandwidth, over
    /// the waves its grid takes (the last of ``featureNames``, unlogged). Points the space cannot decode
    /// map to infinity.
    public static func estimateFunction(
        for workload: Conv3DParameters, on arch: GPUArchitecture, space: ConfigSpace
    ) throws(KernelsError) -> @Sendable (ConfigPoint) -> Double {
        estimateFunction(rules: try rules(for: workload, on: arch), space: space)
    }

    /// ``estimateFunction(for:on:space:)`` under `rules` (the int8 or the fp16 byte geometry).
    static func estimateFunction(rules: ImmaWgmmaConv3DRules, space: ConfigSpace) -> @Sendable (ConfigPoint) -> Double {
        return { point in
            guard let config = try? space.config(at: point, as: ImmaWgmmaConv3DConfig.self) else { return .infinity }
            return exp2(features(of: config, rules: rules).last ?? .infinity)
        }
    }

    /// The features of `config` on `workload` (see ``featureNames``).
    public static func features(
        of config: ImmaWgmmaConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) -> [Double] {
        features(of: config, rules: try rules(for: workload, on: arch))
    }

    static func features(of config: ImmaWgmmaConv3DConfig, rules: ImmaWgmmaConv3DRules) -> [Double] {
        let g = rules.geometry(for: config) ?? rules.geometry, arch = rules.limits.arch
        let tiling = ImmaWgmmaConv3DRules.tiling(g, config)
        // The presets name no device; 132 is the SM count of the H100 SXM and the H200.
        let multiprocessors = Double(arch.multiprocessorCount ?? 132)
        let registers = ImmaWgmmaConv3DRules.estimatedRegisters(config, tiling)
        // Blocks resident per SM: what shared memory, threads and (at min_blocks' register cap, else the
        // estimate) registers allow.
        let bySharedMemory = (arch.maxDynamicSharedBytesPerBlock + ImmaWgmmaConv3DRules.reservedSharedBytesPerBlock)
            / (tiling.sharedBytes + ImmaWgmmaConv3DRules.reservedSharedBytesPerBlock)
        let byThreads = 2048 / config.threads
        let byRegisters = max(config.minBlocks, arch.registersPerBlock / (config.threads * max(registers, 1)))
        let resident = max(1, min(bySharedMemory, byThreads, byRegisters))
        // A persistent or stream-K grid walks the tiles with a fixed number of blocks.
        let blocks = tiling.persistentBlocks ?? tiling.streamKBlocks ?? tiling.tiles * config.splitK
        let work = tiling.tiles * tiling.kTiles
        let slots = multiprocessors * Double(resident)
        let waves = (Double(blocks) / slots).rounded(.up)
        let kTilesPerBlock = tiling.streamKBlocks.map { ImmaConv3DGeometry.ceilDiv(work, $0) } ?? ImmaConv3DGeometry.ceilDiv(tiling.kTiles, config.splitK)
        // Every block multiplies whole tiles; the activations are read once per channel tile, the
        // weights once per row tile, split-K partial sums written and read back once each.
        let paddedMACs = Double(tiling.mTiles * config.blockM) * Double(tiling.nTiles * config.blockN)
            * Double(tiling.kTiles * config.blockK)
        // (a persistent block reads its channel tile's weights once).
        let weightReads = Double(tiling.persistentBlocks.map { $0 / tiling.nTiles } ?? tiling.mTiles)
        let globalBytes = Double(g.m) * Double(g.reduction) * Double(tiling.nTiles)
            + Double(g.outputPitch) * Double(g.reduction) * weightReads
            + Double(tiling.workspaceElements) * 8 + Double(g.m * g.outputPitch)
        // H100 SXM: ~990 dense int8 tera-MACs and ~3.35 TB/s, spread over the waves the grid takes.
        // A persistent grid's quantization is in the m-tiles each block walks, not in waves of blocks.
        var quantization = waves * slots / Double(blocks)
        if let persistent = tiling.persistentBlocks {
            let stride = persistent / tiling.nTiles
            quantization = Double(ImmaConv3DGeometry.ceilDiv(tiling.mTiles, stride) * stride) / Double(tiling.mTiles)
        } else if let streamK = tiling.streamKBlocks {
            // Stream-K's is in the k-tiles each block takes: the longest run against the mean.
            quantization = Double(kTilesPerBlock * streamK) / Double(work) * (Double(streamK) / min(Double(streamK), slots))
        }
        let roofline = max(paddedMACs / 990e12, globalBytes / 3.35e12) * quantization
        return [
            log2(Double(blocks)),
            Double(resident),
            waves,
            Double(blocks) / (waves * slots),
            Double(g.m) / Double(tiling.mTiles * config.blockM),
            Double(g.outputPitch) / Double(tiling.nTiles * config.blockN),
            log2(Double(kTilesPerBlock)),
            log2(Double(tiling.sharedBytes)),
            Double(registers),
            log2(Double(config.blockM * config.blockN * config.blockK * kTilesPerBlock)),
            log2(Double(tiling.workspaceElements * 4 + 1)),
            Double(g.reduction) / Double(tiling.kTiles * config.blockK),
            log2(paddedMACs),
            log2(globalBytes),
            log2(roofline),
        ]
    }
}
