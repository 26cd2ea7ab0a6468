import ConvGeometry

/// fp16 tensor-core conv3d for Hopper (sm_90a): the `wgmma` template (``ImmaWgmmaConv3DTemplate``) with
/// fp16 operands, `wgmma.mma_async.m64nNk16.f32.f16.f16` and fp32 accumulation, for the layers a model
/// keeps in floating point.
///
/// A 64x16 fp16 A tile is 64 rows of 32 bytes, like the 64x32 int8 tile of `m64nNk32.s8`; both are
/// K-major in the same swizzled shared-memory layouts, described by the same matrix descriptors, and
/// their accumulators sit in the same registers (PTX ISA, "Asynchronous Warpgroup Level Matrix
/// Multiply-Accumulate": register fragments of D). So the kernel runs the int8 template's `cp.async`
/// loaders, stage ring, descriptors and main loop on byte views of its fp16 operands
/// (``ImmaConv3DGeometry/init(halfPrecision:)``), with the same configurations
/// (``ImmaWgmmaConv3DConfig``; `block_k` and `a_vector` in bytes: 128 bytes are 64 channels) and rules,
/// float accumulators, and the fp16 kernels' split-K exchange and epilogue (bias, optional ReLU, float32
/// or fp16 output: ``HmmaOutput``). Any C and K: C is padded to 2, K to 4.
///
/// ```swift
/// let layer = AnchorLayers.named("r3d.l2")!.parameters
/// let config = try HmmaWgmmaConv3DTemplate.defaultConfig(for: layer, on: .sm90a)
/// let kernel = try HmmaWgmmaConv3DTemplate.render(workload: layer, config: config, output: .float16(relu: true))
/// // compile for "sm_90a": wgmma exists only in the architecture-specific feature set
/// ```
public enum HmmaWgmmaConv3DTemplate {
    public static let name = "hmma_wgmma_conv3d_ndhwc"
    public static let version = 1

    /// The space for `workload` on `arch` (sm_90a only): the `wgmma` knobs and rules over the fp16 byte
    /// geometry. Throws ``KernelsError/unsupportedWorkload(template:reason:)`` for grouped convolutions,
    /// tensors past 32-bit indexing and other architectures.
    public static func space(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ConfigSpace {
        let rules = try rules(for: workload, on: arch)
        do {
            return try ConfigSpace(
                knobs: ImmaWgmmaConv3DTemplate.knobs, constraints: ImmaWgmmaConv3DConstraints(rules: rules),
                rules: rules.descriptions())
        } catch {
            throw .space(error)
        }
    }

    static func rules(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaWgmmaConv3DRules {
        guard arch.computeCapability == 90, arch.archSpecific else {
            throw .unsupportedWorkload(template: name, reason: "\(arch) has no wgmma (sm_90a only)")
        }
        return ImmaWgmmaConv3DRules(
            geometry: try ImmaConv3DGeometry(halfPrecision: workload), limits: ImmaLimits(arch: arch), persistentAndStaging: false)
    }

    /// The rules `config` breaks on `arch`; throws for a knob value outside its candidates.
    public static func violations(
        of config: ImmaWgmmaConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) -> [ImmaConv3DViolation] {
        try ImmaWgmmaConv3DTemplate.violations(of: config, rules: try rules(for: workload, on: arch))
    }

    /// Throws ``KernelsError/configInvalid(template:architecture:reasons:)`` naming every rule `config`
    /// breaks on `arch`.
    public static func validate(
        _ config: ImmaWgmmaConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) {
        try ImmaWgmmaConv3DTemplate.validate(config, rules: try rules(for: workload, on: arch), template: name)
    }

    /// Renders the kernel, pure and deterministic; throws ``KernelsError/configMismatch(template:reason:)``
    /// for what the template cannot express (as ``ImmaWgmmaConv3DTemplate/render(workload:config:output:)``).
    public static func render(
        workload: Conv3DParameters, config: ImmaWgmmaConv3DConfig, output: HmmaOutput
    ) throws(KernelsError) -> KernelSource {
        let geometry = try ImmaConv3DGeometry(halfPrecision: workload)
        try ImmaWgmmaConv3DTemplate.checkStructure(config)
        func mismatch(_ reason: String) -> KernelsError { .configMismatch(template: name, reason: reason) }
        guard config.groupPack == 1 else { throw mismatch("group_pack \(config.groupPack): the fp16 template has no grouped convolutions") }
        guard config.persistent == 0, config.stagedOutput == 0, config.streamK == 0, config.warpSpecialized == 0 else {
            throw mismatch(
                "persistent \(config.persistent), staged_output \(config.stagedOutput), stream_k \(config.streamK), "
                    + "warp_specialized \(config.warpSpecialized): the fp16 template renders none of them; expected 0")
        }
        let tiling = try ImmaWgmmaConv3DTemplate.renderableTiling(geometry, config, template: name, accumulators: "floats")
        return HmmaWgmmaConv3DRenderer(config: config, tiling: tiling, output: output).render()
    }

    /// The `wgmma` template's default shapes over the fp16 byte geometry (a 128-byte k-tile is 64
    /// channels), the first that passes the rules; else the first valid point.
    public static func defaultConfig(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaWgmmaConv3DConfig {
        try ImmaWgmmaConv3DTemplate.defaultConfig(rules: try rules(for: workload, on: arch), name: name) { () throws(KernelsError) in
            try space(for: workload, on: arch)
        }
    }

    /// The int8 template's cost-model features over the fp16 byte geometry
    /// (``ImmaWgmmaConv3DTemplate/featureFunction(for:on:space:)``): counted in bytes, the reduction is
    /// twice as long and the multiply-adds twice as many as the fp16 ones, which the fp16 rate (half the
    /// int8 one) cancels, so the roofline estimate holds as it is.
    public static func featureFunction(
        for workload: Conv3DParameters, on arch: GPUArchitecture, space: ConfigSpace
    ) throws(KernelsError) -> @Sendable (ConfigPoint) -> [Double] {
        ImmaWgmmaConv3DTemplate.featureFunction(rules: try rules(for: workload, on: arch), space: space)
    }

    /// A rough estimate of a point's time in seconds (see ``featureFunction(for:on:space:)``).
    public static func estimateFunction(
        for workload: Conv3DParameters, on arch: GPUArchitecture, space: ConfigSpace
    ) throws(KernelsError) -> @Sendable (ConfigPoint) -> Double {
        ImmaWgmmaConv3DTemplate.estimateFunction(rules: try rules(for: workload, on: arch), space: space)
    }
}

/// Renders one fp16 `wgmma` kernel: the int8 `wgmma` kernel's constants, loaders, descriptors and main
/// loop with float accumulators (``ImmaWgmmaConv3DRenderer``), inside the fp16 kernels' parameters,
/// header, split-K exchange and epilogue (``HalfKernelText``).
struct HmmaWgmmaConv3DRenderer {
    let config: ImmaWgmmaConv3DConfig
    let tiling: ImmaTiling
    let output: HmmaOutput

    func render() -> KernelSource {
        let half = HalfKernelText(
            tiling: tiling, output: output, template: HmmaWgmmaConv3DTemplate.name, version: HmmaWgmmaConv3DTemplate.version,
            configJSON: config.json,
            summary: "fp16 implicit-GEMM conv3d, wgmma m64n\(config.blockN)k16 f32 accumulation (sm_90a), cp.async pipeline")
        let text = half.byteText
        let parameters = half.parameters
        let name = half.kernelName(prefix: "hmma_wgmma_conv3d")
        let wgmma = ImmaWgmmaConv3DRenderer(config: config, tiling: tiling, output: .int32, accumulator: .f32)
        var source = half.header(parameters: parameters)
        source += "\n" + ImmaKernelText.prelude + "\n" + HalfKernelText.prelude + "\n" + ImmaWgmmaConv3DRenderer.wgmmaPrelude
        source += "\n" + ImmaWgmmaConv3DRenderer.floatRegisterFence + "\n" + wgmma.wgmmaInstruction()
        source += "\n" + ImmaKernelText.kernelMarker + "\n"
        source += "// Byte units: IN_PITCH, GEMM_K, BK, A_VEC and B_VEC count bytes of fp16 data, two per channel.\n"
        source += text.constants() + wgmma.warpgroupConstants() + "\n"
        source += text.signature(name: name, parameters: parameters, minBlocks: config.minBlocks)
        source += HalfKernelText.byteViews
        source += text.blockSetup() + wgmma.warpgroupSetup() + text.loaders() + wgmma.mainLoop()
        source += text.splitKExchange(.f32) + half.epilogue() + "}\n"
        return KernelSource(
            template: HmmaWgmmaConv3DTemplate.name, templateVersion: HmmaWgmmaConv3DTemplate.version, name: name,
            text: source, grid: tiling.grid, block: tiling.block, dynamicSharedBytes: tiling.sharedBytes,
            staticSharedBytes: 0, parameters: parameters)
    }
}
