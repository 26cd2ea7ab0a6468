import ConvGeometry

/// Int8 tensor-core conv3d for Hopper (sm_90a): the implicit GEMM, `cp.async` pipeline, split-K and
/// epilogue of ``ImmaConv3DTemplate``, multiplied by `wgmma.mma_async.m64nNk32.s32.s8.s8` straight from
/// the swizzled shared-memory stages (matrix descriptors, no `ldmatrix`), one to three warpgroups per block.
///
/// ```swift
/// let layer = AnchorLayers.named("r3d.l2")!.parameters
/// let config = try ImmaWgmmaConv3DTemplate.defaultConfig(for: layer, on: .sm90a)
/// let kernel = try ImmaWgmmaConv3DTemplate.render(workload: layer, config: config, output: .int8(relu: true, residual: false))
/// // compile for "sm_90a": wgmma exists only in the architecture-specific feature set
/// ```
public enum ImmaWgmmaConv3DTemplate {
    public static let name = "imma_wgmma_conv3d_ndhwc"
    public static let version = 2

    /// 192 (three 64-row warpgroups, or three 64-row tiles for one) evens out the waves where 128-row tiles
    /// leave SMs idle: r3d.l2's 50 176 rows are 392 tiles of 128 (1.48 waves at two blocks per SM) but 262
    /// of 192 (1.98 at one).
    public static let blockMValues = [64, 128, 192, 256]
    /// Multiples of 16 among the N that `wgmma` allows for 8-bit integers.
    public static let blockNValues = [16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224]
    public static let blockKValues = [32, 64, 128]
    public static let warpgroupsValues = [1, 2, 3]
    /// 6 and 8 deepen the ring where a k-tile is small and the reduction short (r2p1d.t's 16 KB A tiles,
    /// four to a 128-row tile): more copies in flight per SM, where the shared memory allows them.
    public static let stagesValues = [2, 3, 4, 5, 6, 8]
    public static let wgmmaInFlightValues = [0, 1]
    public static let splitKValues = ImmaConv3DTemplate.splitKValues
    public static let inputVectorValues = ImmaConv3DGeometry.vectorWidths
    public static let rasterGroupValues = ImmaConv3DTemplate.rasterGroupValues
    public static let minBlocksValues = [1, 2, 3, 4]
    public static let persistentValues = [0, 1]
    public static let stagedOutputValues = [0, 1]
    public static let streamKValues = [0, 1]
    public static let warpSpecializedValues = [0, 1]

    static let knobOrder: [(ImmaWgmmaConv3DConfig.CodingKeys, [Int])] = [
        (.blockM, blockMValues), (.blockN, blockNValues), (.warpgroups, warpgroupsValues), (.blockK, blockKValues),
        (.inputVectorBytes, inputVectorValues), (.stages, stagesValues), (.wgmmaInFlight, wgmmaInFlightValues),
        (.splitK, splitKValues),
        (.rasterGroup, rasterGroupValues), (.minBlocks, minBlocksValues), (.persistent, persistentValues),
        (.stagedOutput, stagedOutputValues), (.streamK, streamKValues), (.warpSpecialized, warpSpecializedValues),
    ]

    /// The knobs of an ungrouped convolution's space; a grouped one adds `group_pack` (``knobs(for:on:)``).
    public static var knobs: [Knob] { knobOrder.map { .choice(name: $0.0.rawValue, values: $0.1) } }

    /// The knobs of `workload`'s space: ``knobs``, then for a grouped convolution `group_pack`, the
    /// groups that share one GEMM (its candidates: the divisors P of G whose P·C/G channels the
    /// activation copies can read, up to 256 channels and filters per GEMM).
    public static func knobs(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> [Knob] {
        knobOrder(try rules(for: workload, on: arch)).map { .choice(name: $0.0.rawValue, values: $0.1) }
    }

    static func knobOrder(_ rules: ImmaWgmmaConv3DRules) -> [(ImmaWgmmaConv3DConfig.CodingKeys, [Int])] {
        knobOrder + (rules.packs ? [(.groupPack, rules.groupPacks)] : [])
    }

    /// The space for `workload` on `arch`, which must be sm_90a (the architecture-specific feature set of
    /// compute capability 9.0, where `wgmma` lives).
    public static func space(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ConfigSpace {
        let rules = try rules(for: workload, on: arch)
        do {
            return try ConfigSpace(
                knobs: knobOrder(rules).map { .choice(name: $0.0.rawValue, values: $0.1) },
                constraints: ImmaWgmmaConv3DConstraints(rules: rules), rules: rules.descriptions())
        } catch {
            throw .space(error)
        }
    }

    /// The rules of `workload` on `arch`: one geometry, or for a grouped convolution one per
    /// `group_pack` candidate (those whose geometry exists; the first refusal is thrown when none does).
    static func rules(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaWgmmaConv3DRules {
        guard arch.computeCapability == 90, arch.archSpecific else {
            throw .unsupportedWorkload(template: name, reason: "\(arch) has no wgmma (sm_90a only)")
        }
        let limits = ImmaLimits(arch: arch)
        guard workload.groups > 1 else { return ImmaWgmmaConv3DRules(geometry: try ImmaConv3DGeometry(workload), limits: limits) }
        var variants: [ImmaConv3DGeometry] = []
        var refusal: KernelsError?
        for pack in groupPackCandidates(workload) {
            do {
                variants.append(try ImmaConv3DGeometry(workload, groupPack: pack))
            } catch {
                refusal = refusal ?? error
            }
        }
        guard !variants.isEmpty else {
            throw refusal ?? .unsupportedWorkload(template: name, reason: "no group_pack fits \(workload.groups) groups")
        }
        return ImmaWgmmaConv3DRules(variants: variants, limits: limits, packs: true)
    }

    /// Divisors P of G (1 first) with at most 256 channels and filters per packed GEMM.
    static func groupPackCandidates(_ workload: Conv3DParameters) -> [Int] {
        let widest = max(workload.inputChannelsPerGroup, workload.outputChannelsPerGroup)
        return (1...workload.groups).filter { workload.groups % $0 == 0 && ($0 == 1 || $0 * widest <= 256) }
    }

    /// The `group_pack` a default config takes: the fewest groups per GEMM that give it 64 input channels
    /// (enough for 128-byte k-tiles and a 64-wide channel tile), else the most there are.
    static func preferredGroupPack(_ rules: ImmaWgmmaConv3DRules) -> Int {
        let packs = rules.groupPacks
        return packs.first { $0 * rules.geometry.workload.inputChannelsPerGroup >= 64 } ?? packs.last ?? 1
    }

    public static func violations(
        of config: ImmaWgmmaConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) -> [ImmaConv3DViolation] {
        try violations(of: config, rules: try rules(for: workload, on: arch))
    }

    public static func validate(
        _ config: ImmaWgmmaConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) {
        try validate(config, rules: try rules(for: workload, on: arch), template: name)
    }

    /// The rules `config` breaks under `rules` (the int8 or the fp16 byte geometry); throws for a knob value
    /// outside its candidates.
    static func violations(of config: ImmaWgmmaConv3DConfig, rules: ImmaWgmmaConv3DRules) throws(KernelsError) -> [ImmaConv3DViolation] {
        try checkStructure(config)
        return rules.violations(of: config)
    }

    /// Throws ``KernelsError/configInvalid(template:architecture:reasons:)`` naming every rule `config` breaks
    /// under `rules`, as template `template`.
    static func validate(_ config: ImmaWgmmaConv3DConfig, rules: ImmaWgmmaConv3DRules, template: String) throws(KernelsError) {
        let found = try violations(of: config, rules: rules)
        guard found.isEmpty else {
            throw .configInvalid(template: template, architecture: rules.limits.arch.nvrtcArchitecture, reasons: found.map(\.description))
        }
    }

    /// Renders the kernel, pure and deterministic; throws ``KernelsError/configMismatch(template:reason:)``
    /// for what the template cannot express (see ``ImmaConv3DTemplate/render(workload:config:output:)``),
    /// here also a block_m that does not split into 64-row tiles per warpgroup, and fewer than
    /// 2 + wgmma_in_flight stages.
    public static func render(
        workload: Conv3DParameters, config: ImmaWgmmaConv3DConfig, output: OutputKind
    ) throws(KernelsError) -> KernelSource {
        try checkStructure(config)
        let geometry = try ImmaConv3DGeometry(workload, groupPack: config.groupPack)
        let tiling = try renderableTiling(geometry, config, template: name, accumulators: "int32 values")
        return ImmaWgmmaConv3DRenderer(config: config, tiling: tiling, output: output).render()
    }

    /// The tiling of `config` over `geometry` once the checks both `wgmma` templates make before rendering
    /// pass: 64-row tiles per warpgroup, an activation copy width that divides the reduction channels, no
    /// more split-K slices than k-tiles, a stage to load into, and a split-K workspace (of `accumulators`)
    /// within 32-bit indexing. Throws ``KernelsError/configMismatch(template:reason:)`` as `template`.
    static func renderableTiling(
        _ geometry: ImmaConv3DGeometry, _ config: ImmaWgmmaConv3DConfig, template: String, accumulators: String
    ) throws(KernelsError) -> ImmaTiling {
        let tiling = ImmaWgmmaConv3DRules.tiling(geometry, config)
        func mismatch(_ reason: String) -> KernelsError { .configMismatch(template: template, reason: reason) }
        guard config.blockM % (64 * config.warpgroups) == 0 else {
            throw mismatch("block_m \(config.blockM) does not split into 64-row tiles for \(config.warpgroups) warpgroups")
        }
        guard geometry.reductionChannels % config.inputVectorBytes == 0 else {
            throw mismatch(geometry.inputVectorViolation(config.inputVectorBytes).description)
        }
        guard config.splitK <= tiling.kTiles else { throw mismatch("split_k \(config.splitK) exceeds the \(tiling.kTiles) k-tiles") }
        guard config.stages >= 2 + config.wgmmaInFlight else {
            throw mismatch("\(config.stages) stages leave no stage to load into with \(config.wgmmaInFlight) wgmma group in flight")
        }
        guard config.streamK == 0 || (config.splitK == 1 && config.persistent == 0 && !geometry.isGrouped) else {
            throw mismatch("stream_k 1 shares out the k-tiles of one GEMM itself: it needs split_k 1, persistent 0 and an ungrouped convolution")
        }
        guard config.warpSpecialized == 0 || config.splitK == 1 else {
            throw mismatch("warp_specialized 1 hands each block's own k-tiles from producer to consumers: it needs split_k 1")
        }
        guard tiling.workspaceElements <= Int(Int32.max) else {
            throw mismatch("a split-K workspace of \(tiling.workspaceElements) \(accumulators) is past 32-bit indexing")
        }
        return tiling
    }

    static func checkStructure(_ config: ImmaWgmmaConv3DConfig) throws(KernelsError) {
        let values = config.knobValues
        guard config.groupPack >= 1 else {
            throw .configMismatch(template: name, reason: "group_pack \(config.groupPack) is not a positive number of groups")
        }
        for (key, candidates) in knobOrder {
            guard case .choice(let v)? = values[key.rawValue], candidates.contains(v) else {
                throw .configMismatch(
                    template: name, reason: "\(key.rawValue) \(values[key.rawValue]?.description ?? "nil") is not one of \(candidates)")
            }
        }
    }

    /// A reasonably fast configuration, valid by construction: two warpgroups on a 128-row tile (256
    /// rows when the channel tile is at most 64 wide), the smallest allowed channel tile covering K up to
    /// 224 (128 beyond), a k-tile as wide as the activation copies allow (128 bytes with 16-byte copies,
    /// 64 with 8, 32 with 4), four stages with one wgmma group left in flight, split-K as ``ImmaConv3DTemplate/defaultConfig(for:on:)``
    /// decides, int8 outputs staged in shared memory (ungrouped GEMMs), groups packed to 64 channels;
    /// else the first valid point of the space.
    public static func defaultConfig(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaWgmmaConv3DConfig {
        try defaultConfig(rules: try rules(for: workload, on: arch), name: name) { () throws(KernelsError) in
            try space(for: workload, on: arch)
        }
    }

    /// The default shapes under `rules` (the int8 or the fp16 byte geometry), else the first valid point
    /// of the space `space` makes; `name` is the template that reports an empty space.
    static func defaultConfig(
        rules: ImmaWgmmaConv3DRules, name: String, space: () throws(KernelsError) -> ConfigSpace
    ) throws(KernelsError) -> ImmaWgmmaConv3DConfig {
        let arch = rules.limits.arch
        let pack = preferredGroupPack(rules)
        let g = rules.variants.first { $0.groupPack == pack } ?? rules.geometry
        let vector = g.inputVectorWidths.max() ?? 4
        let blockK = vector == 16 ? 128 : (vector == 8 ? 64 : 32)
        let blockN = g.groupColumns > 224 ? 128 : (blockNValues.first { $0 >= g.groupColumns } ?? 128)
        let shapes: [(blockM: Int, warpgroups: Int, stages: Int)] = [
            (blockN <= 64 ? 256 : 128, 2, 4), (128, 2, 4), (128, 2, 3), (128, 1, 3), (64, 1, 3), (64, 1, 2),
        ]
        for shape in shapes {
            var config = ImmaWgmmaConv3DConfig(
                blockM: shape.blockM, blockN: blockN, blockK: blockK, warpgroups: shape.warpgroups, stages: shape.stages,
                wgmmaInFlight: shape.stages >= 3 ? 1 : 0, inputVectorBytes: vector, groupPack: pack)
            let tiling = ImmaWgmmaConv3DRules.tiling(g, config)
            config.splitK = ImmaConv3DTemplate.defaultSplit(tiles: tiling.tiles, kTiles: tiling.kTiles, arch: arch)
            // int8 outputs through shared memory where the template renders it (on the H100, 2026-12-05:
            // 9-24% faster on r3d.l2 and r2p1d.s, within the spread elsewhere).
            if rules.persistentAndStaging, !g.isGrouped {
                var staged = config
                staged.stagedOutput = 1
                if rules.violations(of: staged).isEmpty { return staged }
            }
            if rules.violations(of: config).isEmpty { return config }
        }
        let space = try space()
        guard let point = space.validPoint(atRank: 0) else {
            throw .unsupportedWorkload(template: name, reason: "no configuration of the space is valid on \(arch)")
        }
        do {
            return try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)
        } catch {
            throw .space(error)
        }
    }
}
