import ConvGeometry

/// Int8 tensor-core conv3d: an implicit GEMM over channels-last tensors with `mma.sync.m16n8k32`
/// (sm_80 and later), `ldmatrix`, a multi-stage `cp.async` pipeline through XOR-swizzled shared memory,
/// optional split-K, and a fused int8 epilogue (``OutputKind``) or exact int32 output.
///
/// The GEMM rows are output pixels, the columns output channels, the reduction the filter taps times
/// the padded input channels (``ImmaConv3DGeometry`` lists the packed layouts). Padding, stride and
/// dilation become predicates: an activation slice outside the input is zero-filled by `cp.async` with
/// a source size of 0. Any C and K work: channels are padded to a multiple of 4 when packing. Grouped
/// convolutions run one GEMM per group (C/G a multiple of 4; see ``ImmaConv3DGeometry``).
///
/// ```swift
/// let layer = AnchorLayers.named("r3d.l2")!.parameters
/// let space = try ImmaConv3DTemplate.space(for: layer, on: .sm90)
/// let config = try ImmaConv3DTemplate.defaultConfig(for: layer, on: .sm90)
/// let kernel = try ImmaConv3DTemplate.render(workload: layer, config: config, output: .int8(relu: true, residual: false))
/// // kernel.text: CUDA C++ for NVRTC; kernel.grid, kernel.block, kernel.dynamicSharedBytes, kernel.parameters
/// ```
public enum ImmaConv3DTemplate {
    /// The template's name in sources, logs and tuning records.
    public static let name = "imma_conv3d_ndhwc"
    /// Bumped whenever the rendered source changes for the same workload and configuration.
    public static let version = 1

    public static let blockMValues = [32, 64, 128, 256]
    public static let blockNValues = [16, 32, 48, 64, 96, 128, 144, 192, 256]
    public static let blockKValues = [32, 64, 128]
    public static let warpsMValues = [1, 2, 4]
    public static let warpsNValues = [1, 2, 3, 4]
    public static let stagesValues = [2, 3, 4]
    public static let splitKValues = [1, 2, 3, 4, 6, 8, 12, 16]
    public static let inputVectorValues = ImmaConv3DGeometry.vectorWidths
    public static let rasterGroupValues = [1, 4, 8, 16]

    /// The knobs in the order the space fixes them: the tile shape and warps first, since most rules
    /// read only those.
    static let knobOrder: [(ImmaConv3DConfig.CodingKeys, [Int])] = [
        (.blockM, blockMValues), (.blockN, blockNValues), (.warpsM, warpsMValues), (.warpsN, warpsNValues),
        (.blockK, blockKValues), (.inputVectorBytes, inputVectorValues), (.stages, stagesValues),
        (.splitK, splitKValues), (.rasterGroup, rasterGroupValues),
    ]

    /// The knobs of every imma space: choices of integers, the same for every workload.
    public static var knobs: [Knob] {
        knobOrder.map { .choice(name: $0.0.rawValue, values: $0.1) }
    }

    /// The space of configurations for `workload` on `arch`; every valid point compiles, launches and
    /// computes the exact result. Its rules: ``ImmaConv3DRules`` (listed in ``ConfigSpace/rules``).
    ///
    /// Throws ``KernelsError/unsupportedWorkload(template:reason:)`` for grouped convolutions whose C/G
    /// is not a multiple of 4 (depthwise among them: the `dw` template's), tensors
    /// past 32-bit indexing, and architectures before sm_80 (no `mma.sync` on int8 of this shape, no
    /// `cp.async`).
    public static func space(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ConfigSpace {
        let rules = try rules(for: workload, on: arch)
        do {
            return try ConfigSpace(
                knobs: knobs, constraints: ImmaConv3DConstraints(rules: rules), rules: rules.descriptions())
        } catch {
            throw .space(error)
        }
    }

    static func rules(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaConv3DRules {
        guard arch.computeCapability >= 80 else {
            throw .unsupportedWorkload(
                template: name, reason: "\(arch) has no int8 mma.sync m16n8k32 or cp.async (sm_80 or later)")
        }
        return ImmaConv3DRules(geometry: try ImmaConv3DGeometry(workload), limits: ImmaLimits(arch: arch))
    }

    /// The rules `config` breaks on `arch` (empty when it is a valid point of the space). Throws when
    /// the configuration cannot be rendered at all (see ``render(workload:config:output:)``).
    public static func violations(
        of config: ImmaConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) -> [ImmaConv3DViolation] {
        let rules = try rules(for: workload, on: arch)
        try checkStructure(config)
        return rules.violations(of: config)
    }

    /// Throws ``KernelsError/configInvalid(template:architecture:reasons:)`` naming every rule
    /// `config` breaks on `arch`, or a mismatch error when it is not a configuration of the template.
    public static func validate(
        _ config: ImmaConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) {
        let found = try violations(of: config, for: workload, on: arch)
        guard found.isEmpty else {
            throw .configInvalid(template: name, architecture: arch.nvrtcArchitecture, reasons: found.map(\.description))
        }
    }

    /// Renders the kernel; pure and deterministic. Resource limits are the space's business (see
    /// ``validate(_:for:on:)``); this throws ``KernelsError/configMismatch(template:reason:)`` only for a
    /// configuration the template cannot express: a knob value outside its candidates, a warp tile that
    /// is not a multiple of 16, an input vector that does not divide the channel pitch, more splits
    /// than k-tiles, or a split-K workspace past 32-bit indexing.
    public static func render(
        workload: Conv3DParameters, config: ImmaConv3DConfig, output: OutputKind
    ) throws(KernelsError) -> KernelSource {
        let geometry = try ImmaConv3DGeometry(workload)
        try checkStructure(config)
        let plan = ImmaConv3DPlan(geometry: geometry, config: config)
        func mismatch(_ reason: String) -> KernelsError { .configMismatch(template: name, reason: reason) }
        guard config.blockM % (16 * config.warpsM) == 0, config.blockN % (16 * config.warpsN) == 0 else {
            throw mismatch("block \(config.blockM)x\(config.blockN) does not split into \(config.warpsM)x\(config.warpsN) warp tiles of multiples of 16")
        }
        guard geometry.reductionChannels % config.inputVectorBytes == 0 else {
            throw mismatch(geometry.inputVectorViolation(config.inputVectorBytes).description)
        }
        guard config.splitK <= plan.tiling.kTiles else {
            throw mismatch("split_k \(config.splitK) exceeds the \(plan.tiling.kTiles) k-tiles")
        }
        guard plan.tiling.workspaceElements <= Int(Int32.max) else {
            throw mismatch("a split-K workspace of \(plan.tiling.workspaceElements) int32 values is past 32-bit indexing")
        }
        return ImmaConv3DRenderer(plan: plan, output: output).render()
    }

    /// Throws when a knob holds a value that is not one of its candidates.
    static func checkStructure(_ config: ImmaConv3DConfig) throws(KernelsError) {
        let values = config.knobValues
        for (key, candidates) in knobOrder {
            guard case .choice(let v)? = values[key.rawValue], candidates.contains(v) else {
                throw .configMismatch(
                    template: name, reason: "\(key.rawValue) \(values[key.rawValue]?.description ?? "nil") is not one of \(candidates)")
            }
        }
    }
}
