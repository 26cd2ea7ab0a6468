import ConvGeometry

/// What the halo renderer and its validity rules derive from a workload and a configuration, computed
/// in one place so that the space's rules and the rendered kernel cannot disagree.
///
/// The block's box of `tileZ x tileY x tileX` output pixels reads, through a `kd x kh x kw` filter with
/// stride and dilation 1, the input halo of `(tileZ + kd - 1) x (tileY + kh - 1) x (tileX + kw - 1)`
/// pixels; the reduction walks `channelBlocks` channel blocks of `channelBlock` bytes (the last one
/// zero-padded past the pitch Cp), and within each the `taps` filter taps: `iterations` steps, each
/// one `wgmma` k-step per 32 bytes of channels.
struct ImmaHaloConv3DPlan: Hashable, Sendable {
    let geometry: ImmaConv3DGeometry
    let config: ImmaHaloConv3DConfig

    var workload: Conv3DParameters { geometry.workload }
    var blockM: Int { config.blockM }
    var haloDepth: Int { config.tileZ + workload.kernel.depth - 1 }
    var haloHeight: Int { config.tileY + workload.kernel.height - 1 }
    var haloWidth: Int { config.tileX + workload.kernel.width - 1 }
    var haloPixels: Int { haloDepth * haloHeight * haloWidth }

    /// Boxes along each output axis (the last one partial where the tile does not divide the extent).
    var boxesZ: Int { ImmaConv3DGeometry.ceilDiv(workload.output.depth, config.tileZ) }
    var boxesY: Int { ImmaConv3DGeometry.ceilDiv(workload.output.height, config.tileY) }
    var boxesX: Int { ImmaConv3DGeometry.ceilDiv(workload.output.width, config.tileX) }
    var boxes: Int { workload.batch * boxesZ * boxesY * boxesX }
    var nTiles: Int { ImmaConv3DGeometry.ceilDiv(geometry.outputPitch, config.blockN) }
    /// Whether the weights stay in shared memory and each warpgroup walks boxes of its own.
    var resident: Bool { config.resident == 1 }
    /// Blocks of the grid: one per box and n-tile; with resident weights a persistent grid, a multiple
    /// of the n-tiles (block b keeps n-tile b % nTiles) with `minBlocks` blocks per SM of an H100, at
    /// most one warpgroup per box.
    var blocks: Int {
        guard resident else { return workItems }
        let perTile = ImmaConv3DGeometry.ceilDiv(boxes, config.warpgroups)
        return nTiles * min(perTile, max(1, ImmaTiling.persistentMultiprocessors * config.minBlocks / nTiles))
    }

    var taps: Int { geometry.taps }
    var channelBlocks: Int { ImmaConv3DGeometry.ceilDiv(geometry.inputPitch, config.channelBlock) }
    var iterations: Int { channelBlocks * taps }
    /// (channel block, tap) steps the weight loads run ahead: one stage is being multiplied, one is
    /// still read by the `wgmma` group left in flight.
    var prefetch: Int { config.stages - 2 }
    /// The next channel block's halo is copied in this many pieces, with the weights of the current
    /// block's first taps, so that it has landed when the block's last tap loads its fragments.
    var haloPortions: Int { taps - prefetch }

    /// Bytes of every `cp.async` of activations and weights: the widest of 16, 8, 4 that divides the
    /// pitch Cp, so that a copy never straddles two pixels (or two taps of a filter) and is aligned.
    var vectorBytes: Int { ImmaConv3DGeometry.vectorWidths.reversed().first { geometry.inputPitch % $0 == 0 } ?? 4 }

    var haloBytes: Int { haloPixels * config.channelBlock }
    /// Two halo buffers when there is a next channel block to load while the current one is multiplied;
    /// with resident weights two per warpgroup (its next box's first channel block loads during its last).
    var haloBuffers: Int { resident ? 2 * config.warpgroups : (channelBlocks > 1 ? 2 : 1) }
    var weightStageBytes: Int { config.blockN * config.channelBlock }
    /// The weights in shared memory: the ring's stages, or with resident weights every step's tile.
    var weightBytes: Int { (resident ? iterations : config.stages) * weightStageBytes }
    /// The weights (1024-byte aligned for wgmma's swizzle atoms, hence the slack) and the halo buffers.
    var sharedBytes: Int { weightBytes + haloBuffers * haloBytes + 1024 }

    /// 64-row `wgmma` tiles per warpgroup.
    var warpgroupTiles: Int { config.warpgroupM / 64 }
    /// int32 accumulators per thread: `blockN / 2` per 64-row tile.
    var accumulators: Int { warpgroupTiles * config.blockN / 2 }
    /// A fragments of one step (4 registers per 64-row tile and 32-byte k-step), double-buffered.
    var fragmentRegisters: Int { 2 * warpgroupTiles * (config.channelBlock / 32) * 4 }
    /// A rough count of a thread's registers: accumulators, fragments, one halo pixel per 64-row tile,
    /// and the allowance for indices and addresses.
    /// With resident weights, 16 more for the box walk (the next box's origin and halo, the buffer parity):
    /// without them NVRTC 13 spilled 8-88 bytes on 9 of 122 resident configs of r3d.l1, unet.64 and r2p1d.s
    /// capped at 128 registers (2026-12-06).
    var estimatedRegisters: Int {
        accumulators + fragmentRegisters + warpgroupTiles + ImmaLimits.reservedRegisters + (resident ? 16 : 0)
    }

    /// Activation bytes a block copies (its halo, once per channel block) and weight bytes (one tile per
    /// step): what replaces the implicit GEMM's `blockM x taps x Cp` activation bytes.
    /// With resident weights, per box: the weights are copied once per block, `blocks` times in all
    /// (``weightBytesPerBlock`` spreads them over the boxes).
    var haloBytesPerBlock: Int { haloBytes * channelBlocks }
    var weightBytesPerBlock: Int {
        resident ? ImmaConv3DGeometry.ceilDiv(weightStageBytes * iterations * blocks, workItems) : weightStageBytes * iterations
    }
    /// Boxes times n-tiles: the work items (blocks without resident weights).
    var workItems: Int { boxes * nTiles }

    var grid: LaunchDimensions { LaunchDimensions(x: blocks) }
    var block: LaunchDimensions { LaunchDimensions(x: config.threads) }
}
