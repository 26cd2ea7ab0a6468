import ConvGeometry

/// fp16 tensor-core conv3d: the implicit GEMM of ``ImmaConv3DTemplate`` with fp16 operands,
/// `mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32` (sm_80 and later) and fp32 accumulation, for the
/// layers a model keeps in floating point.
///
/// A 16x16 fp16 A tile is 16 rows of 32 bytes, like the 16x32 int8 tile of `m16n8k32`, and the two
/// instructions' fragments hold the same bytes in the same registers (row g, bytes 4t..4t+3 and
/// 16+4t..; B column g likewise; PTX ISA, "Matrix fragments for mma.m16n8k16" and "mma.m16n8k32").
/// So the kernel runs the int8 template's `cp.async` loaders, swizzled stage ring and `ldmatrix.x4`
/// addressing on byte views of its fp16 operands (``ImmaConv3DGeometry/init(halfPrecision:)``), with
/// the same configurations (``ImmaConv3DConfig``, `block_k` and `a_vector` in bytes: 64 bytes are 32
/// channels) and rules, and its own multiply, float split-K exchange and epilogue (bias, optional
/// ReLU, float32 or fp16 output: ``HmmaOutput``). Any C and K: C is padded to 2, K to 4.
///
/// ```swift
/// let layer = AnchorLayers.named("r3d.l2")!.parameters
/// let config = try HmmaConv3DTemplate.defaultConfig(for: layer, on: .sm90)
/// let kernel = try HmmaConv3DTemplate.render(workload: layer, config: config, output: .float32(relu: true))
/// ```
public enum HmmaConv3DTemplate {
    /// The template's name in sources, logs and tuning records.
    public static let name = "hmma_conv3d_ndhwc"
    /// Bumped whenever the rendered source changes for the same workload and configuration.
    public static let version = 1

    /// The space of configurations for `workload` on `arch`: the imma knobs and rules over the fp16
    /// byte geometry. Throws ``KernelsError/unsupportedWorkload(template:reason:)`` for grouped
    /// convolutions, tensors past 32-bit indexing, and architectures before sm_80.
    public static func space(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ConfigSpace {
        let rules = try rules(for: workload, on: arch)
        do {
            return try ConfigSpace(
                knobs: ImmaConv3DTemplate.knobs, constraints: ImmaConv3DConstraints(rules: rules),
                rules: rules.descriptions())
        } catch {
            throw .space(error)
        }
    }

    static func rules(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaConv3DRules {
        guard arch.computeCapability >= 80 else {
            throw .unsupportedWorkload(
                template: name, reason: "\(arch) has no fp16 mma.sync m16n8k16 with cp.async (sm_80 or later)")
        }
        return ImmaConv3DRules(geometry: try ImmaConv3DGeometry(halfPrecision: workload), limits: ImmaLimits(arch: arch))
    }

    /// Throws ``KernelsError/configInvalid(template:architecture:reasons:)`` naming every rule `config`
    /// breaks on `arch`, or a mismatch error for a knob value outside its candidates.
    public static func validate(
        _ config: ImmaConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) {
        let rules = try rules(for: workload, on: arch)
        try ImmaConv3DTemplate.checkStructure(config)
        let found = rules.violations(of: config)
        guard found.isEmpty else {
            throw .configInvalid(template: name, architecture: arch.nvrtcArchitecture, reasons: found.map(\.description))
        }
    }

    /// Renders the kernel; pure and deterministic. Throws ``KernelsError/configMismatch(template:reason:)``
    /// for a configuration the template cannot express (as ``ImmaConv3DTemplate/render(workload:config:output:)``).
    public static func render(
        workload: Conv3DParameters, config: ImmaConv3DConfig, output: HmmaOutput
    ) throws(KernelsError) -> KernelSource {
        let geometry = try ImmaConv3DGeometry(halfPrecision: workload)
        try ImmaConv3DTemplate.checkStructure(config)
        let plan = ImmaConv3DPlan(geometry: geometry, config: config)
        func mismatch(_ reason: String) -> KernelsError { .configMismatch(template: name, reason: reason) }
        guard config.blockM % (16 * config.warpsM) == 0, config.blockN % (16 * config.warpsN) == 0 else {
            throw mismatch("block \(config.blockM)x\(config.blockN) does not split into \(config.warpsM)x\(config.warpsN) warp tiles of multiples of 16")
        }
        guard geometry.inputPitch % config.inputVectorBytes == 0 else {
            throw mismatch("a_vector \(config.inputVectorBytes) does not divide the input pitch of \(geometry.inputPitch) bytes")
        }
        guard config.splitK <= plan.tiling.kTiles else {
            throw mismatch("split_k \(config.splitK) exceeds the \(plan.tiling.kTiles) k-tiles")
        }
        guard plan.tiling.workspaceElements <= Int(Int32.max) else {
            throw mismatch("a split-K workspace of \(plan.tiling.workspaceElements) floats is past 32-bit indexing")
        }
        return HmmaConv3DRenderer(plan: plan, output: output).render()
    }

    /// The imma template's hand-picked shapes over the fp16 byte geometry (64-byte k-tiles are 32
    /// channels), the first that passes the rules; else the first valid point.
    public static func defaultConfig(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaConv3DConfig {
        let rules = try rules(for: workload, on: arch)
        for candidate in ImmaConv3DTemplate.defaultCandidates(rules.geometry, arch: arch)
        where rules.violations(of: candidate).isEmpty {
            return candidate
        }
        let space = try space(for: workload, on: arch)
        guard let point = space.validPoint(atRank: 0) else {
            throw .unsupportedWorkload(template: name, reason: "no configuration of the space is valid on \(arch)")
        }
        do {
            return try space.config(at: point, as: ImmaConv3DConfig.self)
        } catch {
            throw .space(error)
        }
    }
}
