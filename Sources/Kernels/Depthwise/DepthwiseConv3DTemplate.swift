import ConvGeometry

/// Int8 depthwise conv3d (groups == C == K, one filter per channel) over channels-last tensors: a
/// direct convolution, memory-bound, judged by its achieved bandwidth.
///
/// Each thread computes ``DepthwiseConv3DConfig/outputsW`` consecutive outputs along W for a vector of
/// ``DepthwiseConv3DConfig/channels`` channels: per filter row it loads the input window those outputs
/// read (one 4-, 8- or 16-byte load per position) into registers and multiplies it with the row's
/// weights (one byte multiply-add per tap, or with `tap_dp4a` four taps per `dp4a`), accumulating in
/// int32; then the fused int8 epilogue of ``OutputKind`` (exactly
/// `ConvGeometry.Epilogue`) or the raw int32 accumulators. Padding, stride and dilation are predicates on
/// the loads. Any C works: channels are padded to a multiple of 4 when packing
/// (``DepthwiseConv3DGeometry`` lists the layouts). No instruction past sm_61 is needed.
///
/// ```swift
/// let layer = AnchorLayers.depthwiseSet()[0].parameters
/// let config = try DepthwiseConv3DTemplate.defaultConfig(for: layer, on: .sm90)
/// let kernel = try DepthwiseConv3DTemplate.render(workload: layer, config: config, output: .int8(relu: true, residual: false))
/// ```
public enum DepthwiseConv3DTemplate {
    /// The template's name in sources, logs and tuning records.
    public static let name = "dw_conv3d_ndhwc"
    /// Bumped whenever the rendered source changes for the same workload and configuration.
    public static let version = 2

    public static let channelValues = [4, 8, 16]
    public static let outputsWValues = [1, 2, 4, 8]
    public static let threadsValues = [64, 128, 256, 512]
    public static let tapDP4AValues = [0, 1]
    public static let unrollRowsValues = [0, 1]

    static let knobOrder: [(DepthwiseConv3DConfig.CodingKeys, [Int])] = [
        (.channels, channelValues), (.outputsW, outputsWValues), (.threads, threadsValues), (.tapDP4A, tapDP4AValues),
        (.unrollRows, unrollRowsValues),
    ]

    /// The knobs of every depthwise space.
    public static var knobs: [Knob] { knobOrder.map { .choice(name: $0.0.rawValue, values: $0.1) } }

    /// The space of configurations for `workload` on `arch`; every valid point compiles, launches and
    /// computes the exact result. Throws ``KernelsError/unsupportedWorkload(template:reason:)`` unless the
    /// workload is depthwise with channel multiplier 1, or when a tensor is past 32-bit indexing.
    public static func space(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ConfigSpace {
        let rules = try rules(for: workload, on: arch)
        do {
            return try ConfigSpace(
                knobs: knobs, constraints: DepthwiseConv3DConstraints(rules: rules), rules: rules.descriptions())
        } catch {
            throw .space(error)
        }
    }

    static func rules(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> DepthwiseConv3DRules {
        DepthwiseConv3DRules(geometry: try DepthwiseConv3DGeometry(workload), arch: arch)
    }

    /// Throws ``KernelsError/configInvalid(template:architecture:reasons:)`` naming every rule `config`
    /// breaks on `arch`, or a mismatch error when a knob holds a value outside its candidates.
    public static func validate(
        _ config: DepthwiseConv3DConfig, for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) {
        try checkStructure(config)
        let found = try rules(for: workload, on: arch).violations(of: config)
        guard found.isEmpty else {
            throw .configInvalid(template: name, architecture: arch.nvrtcArchitecture, reasons: found.map(\.description))
        }
    }

    /// Renders the kernel; pure and deterministic. Throws ``KernelsError/configMismatch(template:reason:)``
    /// for a knob value outside its candidates or a channel vector that does not divide the pitch.
    public static func render(
        workload: Conv3DParameters, config: DepthwiseConv3DConfig, output: OutputKind
    ) throws(KernelsError) -> KernelSource {
        let geometry = try DepthwiseConv3DGeometry(workload)
        try checkStructure(config)
        guard geometry.pitch % config.channels == 0 else {
            throw .configMismatch(
                template: name, reason: "channels \(config.channels) does not divide the packed channel pitch \(geometry.pitch)")
        }
        return DepthwiseConv3DRenderer(geometry: geometry, config: config, output: output).render()
    }

    /// A reasonably fast configuration, valid by construction: 8-channel vectors (4 when the pitch
    /// allows no more), four outputs along W (two with a W stride), 128 threads, `tap_dp4a` and
    /// `unroll_rows` where the W dilation is 1; then without them and smaller shapes;
    /// else the first valid point. 16-channel vectors with four outputs take near 200 registers on
    /// sm_80 and sm_90 (ptxas keeps every sign-extended window byte), too few warps for a memory-bound
    /// kernel; 8 channels keep it near 100.
    public static func defaultConfig(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError)
        -> DepthwiseConv3DConfig
    {
        let rules = try rules(for: workload, on: arch)
        let channels = rules.geometry.channelWidths.contains(8) ? 8 : 4
        let outputs = workload.stride.width == 1 ? 4 : 2
        // dp4a over the taps with every row of a plane in flight: 1.3-1.6x the byte multiply-adds on
        // an H100 (BENCHMARKS.md); without dp4a, unrolling the rows only costs registers.
        let tap = workload.dilation.width == 1
        let candidates = [
            DepthwiseConv3DConfig(channels: channels, outputsW: outputs, threads: 128, tapDP4A: tap, unrollRows: tap),
            DepthwiseConv3DConfig(channels: channels, outputsW: outputs, threads: 128),
            DepthwiseConv3DConfig(channels: channels, outputsW: 2, threads: 128),
            DepthwiseConv3DConfig(channels: channels, outputsW: 1, threads: 128),
            DepthwiseConv3DConfig(channels: 4, outputsW: 1, threads: 64),
        ]
        if let first = candidates.first(where: { rules.violations(of: $0).isEmpty }) { return first }
        let space = try space(for: workload, on: arch)
        guard let point = space.validPoint(atRank: 0) else {
            throw .unsupportedWorkload(template: name, reason: "no configuration of the space is valid on \(arch)")
        }
        do {
            return try space.config(at: point, as: DepthwiseConv3DConfig.self)
        } catch {
            throw .space(error)
        }
    }

    static func checkStructure(_ config: DepthwiseConv3DConfig) throws(KernelsError) {
        let values = config.knobValues
        for (key, candidates) in knobOrder {
            guard case .choice(let v)? = values[key.rawValue], candidates.contains(v) else {
                throw .configMismatch(
                    template: name, reason: "\(key.rawValue) \(values[key.rawValue]?.description ?? "nil") is not one of \(candidates)")
            }
        }
    }
}
