import ConvGeometry

/// Direct int8 conv3d with `dp4a` on NCDHW4c activations and OIDHW4o4i weights: the design of TVM's
/// `conv3d_NCDHWc_int8` AutoTVM template, rebuilt so that every configuration of its space compiles,
/// launches and computes the exact result.
///
/// A block computes an (f, d, y, x) tile of the output for one clip; its threads cooperatively stage
/// the input window and the weights of one outer reduction step in shared memory, and each thread
/// accumulates a register tile of outputs with `__dp4a` (four int8 products into an int32 per
/// instruction). Compared with the TVM original: any C and K (channels padded to 4 with zeros), groups
/// whose channels per group are multiples of 4, the depth reduction split on its own axis, stride,
/// dilation and asymmetric padding, and validity rules that keep every point launchable.
///
/// ```swift
/// let layer = AnchorLayers.named("r3d.l1")!.parameters
/// let space = try Dp4aConv3DTemplate.space(for: layer, on: .sm90)
/// var rng = SeededGenerator(seed: 1)
/// let point = space.sample(count: 1, using: &rng)[0]
/// let config = try space.config(at: point, as: Dp4aConv3DConfig.self)
/// let kernel = try Dp4aConv3DTemplate.render(workload: layer, config: config, output: .int8(relu: true, residual: false))
/// ```
public enum Dp4aConv3DTemplate {
    /// The template's name in sources, logs and tuning records.
    public static let name = "dp4a_conv3d_ncdhw4c"
    /// Bumped whenever the rendered source changes for the same workload and configuration.
    public static let version = 1
    /// The values of the `auto_unroll_max_step` knob.
    public static let unrollSteps = [0, 512, 1500]

    /// The knobs of the space for `workload`, in the order the constraints prune best (reduction
    /// splits, block shape, output splits, then the knobs no resource depends on).
    public static func knobs(for workload: Conv3DParameters) throws(KernelsError) -> [Knob] {
        knobs(try Dp4aConv3DGeometry(workload))
    }

    static func knobs(_ geometry: Dp4aConv3DGeometry) -> [Knob] {
        typealias Key = Dp4aConv3DConfig.CodingKeys
        let reduction = geometry.reductionExtents
        let output = geometry.outputExtents
        return [
            .split(name: Key.tileRC.rawValue, extent: reduction[0], parts: 2),
            .split(name: Key.tileRD.rawValue, extent: reduction[1], parts: 2),
            .split(name: Key.tileRY.rawValue, extent: reduction[2], parts: 2),
            .split(name: Key.tileRX.rawValue, extent: reduction[3], parts: 2),
            .choice(name: Key.fuseYX.rawValue, values: [0, 1]),
            .split(name: Key.tileF.rawValue, extent: output[0], parts: 4),
            .split(name: Key.tileD.rawValue, extent: output[1], parts: 4),
            .split(name: Key.tileY.rawValue, extent: output[2], parts: 4),
            .split(name: Key.tileX.rawValue, extent: output[3], parts: 4),
            .reorder(name: Key.reorderInner.rawValue, count: 4),
            .choice(name: Key.autoUnrollMaxStep.rawValue, values: unrollSteps),
        ]
    }

    /// The space of configurations for `workload` on `arch`: every valid point compiles and launches.
    ///
    /// Rules: threads per block in 32...1024 (below one warp, lanes idle on every instruction; the
    /// floor drops to 1 only for a workload too small to fill a warp), block extents within (1024,
    /// 1024, 64), grid extents within the architecture's, the two static shared arrays within 48 KiB,
    /// at most 128 int32 accumulators per thread, a register tile that leaves 16 of the registers a
    /// thread may use at that block size, and output-channel blocks that stay inside one group.
    /// Throws ``KernelsError/unsupportedWorkload(template:reason:)`` when the template cannot handle
    /// the workload or the architecture has no `dp4a`.
    public static func space(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ConfigSpace {
        let geometry = try Dp4aConv3DGeometry(workload)
        return try space(geometry, limits: limits(geometry, on: arch))
    }

    static func space(_ geometry: Dp4aConv3DGeometry, limits: Dp4aLimits) throws(KernelsError) -> ConfigSpace {
        let knobs = knobs(geometry)
        do {
            return try ConfigSpace(
                knobs: knobs, constraints: Dp4aConv3DConstraints(geometry: geometry, limits: limits, knobs: knobs),
                rules: rules(limits))
        } catch {
            throw .space(error)
        }
    }

    /// The limits on `arch`, with the one-warp floor on threads dropped when no configuration of the
    /// workload can reach it.
    static func limits(_ geometry: Dp4aConv3DGeometry, on arch: GPUArchitecture) throws(KernelsError) -> Dp4aLimits {
        guard arch.hasDp4a else {
            throw .unsupportedWorkload(template: name, reason: "\(arch) has no dp4a (compute capability 6.1 or later)")
        }
        let warp = Dp4aLimits(minThreads: 32, arch: arch, chunksPerGroup: geometry.outputChunksPerGroup)
        if try space(geometry, limits: warp).hasValidPoint { return warp }
        return Dp4aLimits(minThreads: 1, arch: arch, chunksPerGroup: geometry.outputChunksPerGroup)
    }

    static func rules(_ limits: Dp4aLimits) -> [String] {
        let arch = limits.arch
        return [
            "threads per block in \(limits.minThreads)...\(arch.maxThreadsPerBlock)",
            "block extents within \(arch.maxBlockDimensions), grid extents within \(arch.maxGridDimensions)",
            "static shared memory (input window + weight tile) within \(arch.maxStaticSharedBytesPerBlock) bytes",
            "at most \(Dp4aLimits.maxAccumulators) int32 accumulators per thread",
            "register tile within the per-thread register budget minus \(Dp4aLimits.reservedRegisters)",
            "output-channel block tile divides the \(limits.chunksPerGroup) chunks of a group",
        ]
    }

    /// The rules `config` breaks on `arch` (empty when it is a valid point of the space). Throws when
    /// the configuration does not fit the workload at all (split products, permutation, unroll step).
    public static func violations(
        of config: Dp4aConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) -> [Dp4aConv3DViolation] {
        let plan = try Dp4aConv3DPlan(workload: workload, config: config)
        guard unrollSteps.contains(config.autoUnrollMaxStep) else {
            throw .configMismatch(
                template: name, reason: "auto_unroll_max_step \(config.autoUnrollMaxStep) is not one of \(unrollSteps)")
        }
        return try limits(plan.geometry, on: arch).violations(plan.resources)
    }

    /// Throws ``KernelsError/configInvalid(template:architecture:reasons:)`` naming every rule
    /// `config` breaks on `arch`, or a mismatch error when it does not fit the workload.
    public static func validate(
        _ config: Dp4aConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) {
        let found = try violations(of: config, for: workload, on: arch)
        guard found.isEmpty else {
            throw .configInvalid(template: name, architecture: arch.nvrtcArchitecture, reasons: found.map(\.description))
        }
    }
}
