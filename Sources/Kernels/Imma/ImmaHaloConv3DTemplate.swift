import ConvGeometry

/// Int8 tensor-core conv3d for Hopper (sm_90a) that reads each input pixel into shared memory once per
/// channel block instead of once per filter tap: a block computes a box of output pixels; the box's
/// input halo (box + kernel - 1 along each axis) is copied into shared memory with `cp.async`, and for
/// every tap each lane loads its A fragment rows — its output pixel shifted by the tap — from the halo
/// with `ldmatrix`, into the registers `wgmma.mma_async.m64nNk32.s32.s8.s8` takes A from; B (the
/// weights of the tap) comes from a swizzled shared ring through a matrix descriptor.
///
/// Why: the implicit GEMM of ``ImmaWgmmaConv3DTemplate`` copies its A tile from L2 for every tap, so a
/// 3x3x3 filter reads each input byte 27 times and, with 64 output channels, each byte feeds only 64
/// multiply-adds — more L2 bandwidth than an SM gets. Here a block's traffic is its halo once per
/// channel block plus the weights. For r3d.l1 (8x64x16x56x56, K=64, 3x3x3) with the default 4x8x8 box
/// and block_n 64: 6x10x10 halo pixels x 64 bytes = 38.4 KB of activations (instead of 256 rows x 27
/// taps x 64 = 442 KB) and 27 x 64 x 64 = 110.6 KB of weights, 149 KB in all against 553 KB, for the
/// same 28.3 M multiply-adds (190 per byte instead of 51).
///
/// With `resident` 1 the weights do not stream: a persistent grid's blocks copy every (channel block,
/// tap) tile of their n-tile into shared memory once (r3d.l1: 110.6 KB), and each warpgroup walks
/// boxes of its own — two halo buffers, the next one copying while the current one is multiplied, one
/// named barrier of its 128 threads per channel block instead of a block-wide barrier per tap — so a
/// warpgroup's epilogue overlaps the others' `wgmma`s. It fits the layers whose weights fit next to
/// the halos (r3d.l1, unet.64, r2p1d.s and r2p1d.t; not r3d.l2's 442 KB).
///
/// Applies to ungrouped convolutions with stride and dilation 1 and a kernel of more than one tap, on
/// any padding; the channel blocks cover the pitch Cp, the last one zero-padded (copies of 16, 8 or 4
/// bytes, the widest dividing Cp). Same packed layouts, parameters and epilogue as the other imma
/// templates; no split-K.
///
/// ```swift
/// let layer = AnchorLayers.named("r3d.l1")!.parameters
/// let config = try ImmaHaloConv3DTemplate.defaultConfig(for: layer, on: .sm90a)
/// let kernel = try ImmaHaloConv3DTemplate.render(workload: layer, config: config, output: .int8(relu: true, residual: false))
/// // compile for "sm_90a": wgmma exists only in the architecture-specific feature set
/// ```
public enum ImmaHaloConv3DTemplate {
    public static let name = "imma_halo_conv3d_ndhwc"
    public static let version = 1

    public static let tileZValues = [1, 2, 4, 8]
    public static let tileYValues = [2, 4, 8, 16]
    public static let tileXValues = [4, 8, 16]
    /// Multiples of 16 among the N that `wgmma` allows for 8-bit integers.
    public static let blockNValues = ImmaWgmmaConv3DTemplate.blockNValues
    /// Three and four serve resident weights, where each warpgroup has a box of its own.
    public static let warpgroupsValues = [1, 2, 3, 4]
    public static let channelBlockValues = [32, 64, 128]
    public static let stagesValues = [3, 4, 5]
    public static let minBlocksValues = [1, 2]
    public static let residentValues = [0, 1]

    static let knobOrder: [(ImmaHaloConv3DConfig.CodingKeys, [Int])] = [
        (.tileZ, tileZValues), (.tileY, tileYValues), (.tileX, tileXValues), (.blockN, blockNValues),
        (.warpgroups, warpgroupsValues), (.channelBlock, channelBlockValues), (.stages, stagesValues),
        (.minBlocks, minBlocksValues), (.resident, residentValues),
    ]

    public static var knobs: [Knob] { knobOrder.map { .choice(name: $0.0.rawValue, values: $0.1) } }

    /// The space for `workload` on `arch`, which must be sm_90a; throws
    /// ``KernelsError/unsupportedWorkload(template:reason:)`` for workloads the halo does not fit.
    public static func space(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ConfigSpace {
        let rules = try rules(for: workload, on: arch)
        do {
            return try ConfigSpace(knobs: knobs, constraints: ImmaHaloConv3DConstraints(rules: rules), rules: rules.descriptions())
        } catch {
            throw .space(error)
        }
    }

    static func rules(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaHaloConv3DRules {
        func unsupported(_ reason: String) -> KernelsError { .unsupportedWorkload(template: name, reason: reason) }
        guard arch.computeCapability == 90, arch.archSpecific else { throw unsupported("\(arch) has no wgmma (sm_90a only)") }
        guard workload.groups == 1 else {
            throw unsupported("groups \(workload.groups): the halo holds every input channel of a pixel; expected an ungrouped convolution")
        }
        guard workload.stride == Extent3(uniform: 1) else {
            throw unsupported("stride \(workload.stride): a tap's rows are the box's pixels shifted in the halo only with stride 1")
        }
        guard workload.dilation == Extent3(uniform: 1) else {
            throw unsupported("dilation \(workload.dilation): the halo is the box grown by kernel - 1, which needs dilation 1")
        }
        guard workload.kernel.volume > 1 else {
            throw unsupported("kernel \(workload.kernel): one tap reads each input pixel once; there is no halo to reuse")
        }
        let geometry: ImmaConv3DGeometry
        do {
            geometry = try ImmaConv3DGeometry(workload)
        } catch {
            if case .unsupportedWorkload(_, let reason) = error { throw unsupported(reason) }
            throw error
        }
        return ImmaHaloConv3DRules(geometry: geometry, limits: ImmaLimits(arch: arch))
    }

    public static func violations(
        of config: ImmaHaloConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) -> [ImmaHaloViolation] {
        let rules = try rules(for: workload, on: arch)
        try checkStructure(config)
        return rules.violations(of: config)
    }

    public static func validate(
        _ config: ImmaHaloConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) {
        let found = try violations(of: config, for: workload, on: arch)
        guard found.isEmpty else {
            throw .configInvalid(template: name, architecture: arch.nvrtcArchitecture, reasons: found.map(\.description))
        }
    }

    /// Renders the kernel, pure and deterministic; throws ``KernelsError/configMismatch(template:reason:)``
    /// for what the template cannot express: knob values outside their candidates, a box that does not
    /// split into 64-row tiles per warpgroup, or a pipeline that leaves no tap to copy the next halo in.
    /// Resource limits (registers, shared memory) are the space's rules, not the renderer's.
    public static func render(
        workload: Conv3DParameters, config: ImmaHaloConv3DConfig, output: OutputKind
    ) throws(KernelsError) -> KernelSource {
        let rules = try rules(for: workload, on: .sm90a)
        try checkStructure(config)
        let plan = ImmaHaloConv3DPlan(geometry: rules.geometry, config: config)
        func mismatch(_ reason: String) -> KernelsError { .configMismatch(template: name, reason: reason) }
        guard ImmaHaloConv3DRules.blockMValues.contains(config.blockM), plan.resident || config.blockM % (64 * config.warpgroups) == 0 else {
            throw mismatch(ImmaHaloViolation.warpgroupRows(rows: config.blockM, warpgroups: config.warpgroups).description)
        }
        guard plan.resident || plan.channelBlocks == 1 || plan.haloPortions >= 1 else {
            throw mismatch(ImmaHaloViolation.haloPipeline(stages: config.stages, taps: plan.taps).description)
        }
        return ImmaHaloConv3DRenderer(plan: plan, output: output).render()
    }

    static func checkStructure(_ config: ImmaHaloConv3DConfig) throws(KernelsError) {
        let values = config.knobValues
        for (key, candidates) in knobOrder {
            guard case .choice(let v)? = values[key.rawValue], candidates.contains(v) else {
                throw .configMismatch(
                    template: name, reason: "\(key.rawValue) \(values[key.rawValue]?.description ?? "nil") is not one of \(candidates)")
            }
        }
    }

    /// A reasonably fast configuration, valid by construction: channel blocks of 64 bytes where they
    /// divide the pitch (else 32), one warpgroup for block_n up to 64 and two beyond (the tuning logs of
    /// 2026-12-05, H100 and H200: with 64 filters the best one-warpgroup config of r3d.l1, unet.64 and
    /// r2p1d.t ran 13–21% faster than the best two-warpgroup one, with 128 two were faster), four weight
    /// stages (three if four do not fit); block_n
    /// the smallest candidate covering K up to 224 (128 beyond) or half of that; among those and the
    /// boxes of 128 or 256 pixels, the one whose blocks copy the fewest bytes in all (halos and weights,
    /// edge boxes' padding included), preferring grids of at least one block per SM (132 on the H100).
    public static func defaultConfig(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaHaloConv3DConfig {
        let rules = try rules(for: workload, on: arch)
        let g = rules.geometry
        let widest = g.outputPitch > 224 ? 128 : (blockNValues.first { $0 >= g.outputPitch } ?? 128)
        let blockNs = [widest] + blockNValues.filter { $0 == widest / 2 }
        let channelBlock = g.inputPitch % 64 == 0 ? 64 : 32
        let multiprocessors = arch.multiprocessorCount ?? 132
        var best: (key: [Int], config: ImmaHaloConv3DConfig)?
        for blockN in blockNs {
            for tileZ in tileZValues {
                for tileY in tileYValues {
                    for tileX in tileXValues where [128, 256].contains(tileZ * tileY * tileX) {
                        for stages in [4, 3] {
                            let config = ImmaHaloConv3DConfig(
                                tileZ: tileZ, tileY: tileY, tileX: tileX, blockN: blockN, channelBlock: channelBlock,
                                warpgroups: blockN <= 64 ? 1 : 2, stages: stages)
                            guard rules.violations(of: config).isEmpty else { continue }
                            let plan = ImmaHaloConv3DPlan(geometry: g, config: config)
                            let bytes = plan.blocks * (plan.haloBytesPerBlock + plan.weightBytesPerBlock)
                            let key = [plan.blocks >= multiprocessors ? 0 : 1, bytes]
                            if let current = best, !key.lexicographicallyPrecedes(current.key) { break }
                            best = (key, config)
                            break
                        }
                    }
                }
            }
        }
        if let best { return best.config }
        let space = try space(for: workload, on: arch)
        guard let point = space.validPoint(atRank: 0) else {
            throw .unsupportedWorkload(template: name, reason: "no configuration of the space is valid on \(arch)")
        }
        do {
            return try space.config(at: point, as: ImmaHaloConv3DConfig.self)
        } catch {
            throw .space(error)
        }
    }
}
