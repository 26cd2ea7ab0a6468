import ConvGeometry
import FoundationEssentials
import Kernels
import Tensors

/// A kernel chosen for a workload: its source and the config it was rendered from.
public struct KernelSelection: Sendable {
    public let template: String
    public let source: KernelSource
    /// The config as sorted-key JSON (what `--config` takes back).
    public let configJSON: String
    /// `default`, `given`, `index N`, `sample N (seed S)` or `tuning-log`.
    public let configSource: String
}

/// Q3D's CUDA conv3d templates by their CLI names, and how a config is picked for one of them.
public enum KernelCatalog {
    /// Template names accepted by `--impl`.
    public static let names = ["dp4a", "imma", "imma_wgmma", "imma_halo", "dw", "hmma", "hmma_wgmma"]

    /// The name and version of the template behind `impl` (what a tuning record keys on), or nil.
    public static func template(impl: String) -> (name: String, version: Int)? {
        switch impl {
        case "dp4a": return (Dp4aConv3DTemplate.name, Dp4aConv3DTemplate.version)
        case "imma": return (ImmaConv3DTemplate.name, ImmaConv3DTemplate.version)
        case "imma_wgmma": return (ImmaWgmmaConv3DTemplate.name, ImmaWgmmaConv3DTemplate.version)
        case "imma_halo": return (ImmaHaloConv3DTemplate.name, ImmaHaloConv3DTemplate.version)
        default: return nil
        }
    }

    /// The valid config space of template `impl` for `workload` on `arch`.
    public static func space(impl: String, workload: Conv3DParameters, arch: GPUArchitecture) throws -> ConfigSpace {
        switch impl {
        case "dp4a": return try Dp4aConv3DTemplate.space(for: workload, on: arch)
        case "imma": return try ImmaConv3DTemplate.space(for: workload, on: arch)
        case "imma_wgmma": return try ImmaWgmmaConv3DTemplate.space(for: workload, on: arch)
        case "imma_halo": return try ImmaHaloConv3DTemplate.space(for: workload, on: arch)
        case "dw": return try DepthwiseConv3DTemplate.space(for: workload, on: arch)
        case "hmma": return try HmmaConv3DTemplate.space(for: workload, on: arch)
        case "hmma_wgmma": return try HmmaWgmmaConv3DTemplate.space(for: workload, on: arch)
        default: throw EngineError.unknownImplementation(impl, known: names)
        }
    }

    /// Renders template `impl` with the config at `point` of its space.
    public static func render(
        impl: String, workload: Conv3DParameters, space: ConfigSpace, point: ConfigPoint, output: OutputKind,
        configSource: String
    ) throws -> KernelSelection {
        switch impl {
        case "dp4a":
            let config = try space.config(at: point, as: Dp4aConv3DConfig.self)
            return try selection(
                impl, Dp4aConv3DTemplate.render(workload: workload, config: config, output: output), config, configSource)
        case "imma":
            let config = try space.config(at: point, as: ImmaConv3DConfig.self)
            return try selection(
                impl, ImmaConv3DTemplate.render(workload: workload, config: config, output: output), config, configSource)
        case "imma_wgmma":
            let config = try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)
            return try selection(
                impl, ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output), config,
                configSource)
        case "imma_halo":
            let config = try space.config(at: point, as: ImmaHaloConv3DConfig.self)
            return try selection(
                impl, ImmaHaloConv3DTemplate.render(workload: workload, config: config, output: output), config,
                configSource)
        case "dw":
            let config = try space.config(at: point, as: DepthwiseConv3DConfig.self)
            return try selection(
                impl, DepthwiseConv3DTemplate.render(workload: workload, config: config, output: output), config,
                configSource)
        case "hmma":
            // fp16 operands: int32 asks for float32 output, int8 for fp16 with ReLU (HmmaOutput.init).
            let config = try space.config(at: point, as: ImmaConv3DConfig.self)
            return try selection(
                impl, HmmaConv3DTemplate.render(workload: workload, config: config, output: HmmaOutput(output)), config,
                configSource)
        case "hmma_wgmma":
            let config = try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)
            return try selection(
                impl, HmmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: HmmaOutput(output)), config,
                configSource)
        default:
            throw EngineError.unknownImplementation(impl, known: names)
        }
    }

    /// The kernel `q3d conv3d --impl …` runs: the config given as JSON (from `configSource`), the valid config of rank
    /// `configIndex`, or the template's default for the workload.
    public static func select(
        impl: String, workload: Conv3DParameters, arch: GPUArchitecture, output: OutputKind,
        config: String?, configIndex: Int?, configSource: String = "given"
    ) throws -> KernelSelection {
        let space = try space(impl: impl, workload: workload, arch: arch)
        if let config {
            let point = try pointForJSON(impl: impl, json: config, space: space, workload: workload, arch: arch)
            return try render(
                impl: impl, workload: workload, space: space, point: point, output: output, configSource: configSource)
        }
        if let configIndex {
            let count = space.validCount()
            guard let point = space.validPoint(atRank: configIndex) else {
                throw EngineError.unsupported(
                    impl: impl, reason: "--config-index \(configIndex) is outside the \(count) valid configs (0..<\(count))")
            }
            return try render(
                impl: impl, workload: workload, space: space, point: point, output: output,
                configSource: "index \(configIndex) of \(count)")
        }
        let point = try defaultPoint(impl: impl, workload: workload, arch: arch, space: space)
        return try render(impl: impl, workload: workload, space: space, point: point, output: output, configSource: "default")
    }

    /// The template's default config for the workload (valid by construction).
    public static func defaultPoint(
        impl: String, workload: Conv3DParameters, arch: GPUArchitecture, space: ConfigSpace
    ) throws -> ConfigPoint {
        switch impl {
        case "dp4a": return try space.point(of: Dp4aConv3DTemplate.defaultConfig(for: workload, on: arch))
        case "imma": return try space.point(of: ImmaConv3DTemplate.defaultConfig(for: workload, on: arch))
        case "imma_wgmma": return try space.point(of: ImmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: arch))
        case "imma_halo": return try space.point(of: ImmaHaloConv3DTemplate.defaultConfig(for: workload, on: arch))
        case "dw": return try space.point(of: DepthwiseConv3DTemplate.defaultConfig(for: workload, on: arch))
        case "hmma": return try space.point(of: HmmaConv3DTemplate.defaultConfig(for: workload, on: arch))
        case "hmma_wgmma": return try space.point(of: HmmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: arch))
        default: throw EngineError.unknownImplementation(impl, known: names)
        }
    }

    /// What template `impl` tells a tuner's cost model about the points of `space` (its space for
    /// `workload` on `arch`): derived features, and a rough estimate of a point's time in seconds; nil
    /// for a template that offers neither.
    public static func costModelHints(
        impl: String, workload: Conv3DParameters, arch: GPUArchitecture, space: ConfigSpace
    ) throws -> (features: @Sendable (ConfigPoint) -> [Double], estimate: @Sendable (ConfigPoint) -> Double)? {
        switch impl {
        case "imma_wgmma":
            return (
                try ImmaWgmmaConv3DTemplate.featureFunction(for: workload, on: arch, space: space),
                try ImmaWgmmaConv3DTemplate.estimateFunction(for: workload, on: arch, space: space)
            )
        case "hmma_wgmma":
            return (
                try HmmaWgmmaConv3DTemplate.featureFunction(for: workload, on: arch, space: space),
                try HmmaWgmmaConv3DTemplate.estimateFunction(for: workload, on: arch, space: space)
            )
        case "imma_halo":
            return (
                try ImmaHaloConv3DTemplate.featureFunction(for: workload, on: arch, space: space),
                try ImmaHaloConv3DTemplate.estimateFunction(for: workload, on: arch, space: space)
            )
        default: return nil
        }
    }

    /// The config at `point` as sorted-key JSON, without rendering a kernel.
    public static func configJSON(impl: String, space: ConfigSpace, point: ConfigPoint) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data: Data
        switch impl {
        case "dp4a": data = try encoder.encode(try space.config(at: point, as: Dp4aConv3DConfig.self))
        case "imma": data = try encoder.encode(try space.config(at: point, as: ImmaConv3DConfig.self))
        case "imma_wgmma": data = try encoder.encode(try space.config(at: point, as: ImmaWgmmaConv3DConfig.self))
        case "imma_halo": data = try encoder.encode(try space.config(at: point, as: ImmaHaloConv3DConfig.self))
        case "dw": data = try encoder.encode(try space.config(at: point, as: DepthwiseConv3DConfig.self))
        case "hmma": data = try encoder.encode(try space.config(at: point, as: ImmaConv3DConfig.self))
        case "hmma_wgmma": data = try encoder.encode(try space.config(at: point, as: ImmaWgmmaConv3DConfig.self))
        default: throw EngineError.unknownImplementation(impl, known: names)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The point of a config given as JSON, checked against the template's validity rules for `arch`;
    /// throws when it does not decode or is not valid there.
    public static func pointForJSON(
        impl: String, json: String, space: ConfigSpace, workload: Conv3DParameters, arch: GPUArchitecture
    ) throws -> ConfigPoint {
        let data = Data(json.utf8)
        do {
            switch impl {
            case "dp4a":
                let config = try JSONDecoder().decode(Dp4aConv3DConfig.self, from: data)
                try Dp4aConv3DTemplate.validate(config, for: workload, on: arch)
                return try space.point(of: config)
            case "imma":
                let config = try JSONDecoder().decode(ImmaConv3DConfig.self, from: data)
                try ImmaConv3DTemplate.validate(config, for: workload, on: arch)
                return try space.point(of: config)
            case "imma_wgmma":
                let config = try JSONDecoder().decode(ImmaWgmmaConv3DConfig.self, from: data)
                try ImmaWgmmaConv3DTemplate.validate(config, for: workload, on: arch)
                return try space.point(of: config)
            case "imma_halo":
                let config = try JSONDecoder().decode(ImmaHaloConv3DConfig.self, from: data)
                try ImmaHaloConv3DTemplate.validate(config, for: workload, on: arch)
                return try space.point(of: config)
            case "dw":
                let config = try JSONDecoder().decode(DepthwiseConv3DConfig.self, from: data)
                try DepthwiseConv3DTemplate.validate(config, for: workload, on: arch)
                return try space.point(of: config)
            case "hmma":
                let config = try JSONDecoder().decode(ImmaConv3DConfig.self, from: data)
                try HmmaConv3DTemplate.validate(config, for: workload, on: arch)
                return try space.point(of: config)
            case "hmma_wgmma":
                let config = try JSONDecoder().decode(ImmaWgmmaConv3DConfig.self, from: data)
                try HmmaWgmmaConv3DTemplate.validate(config, for: workload, on: arch)
                return try space.point(of: config)
            default:
                throw EngineError.unknownImplementation(impl, known: names)
            }
        } catch let error as DecodingError {
            throw EngineError.unsupported(impl: impl, reason: "--config is not a \(impl) config: \(error)")
        }
    }

    static func selection(_ impl: String, _ source: KernelSource, _ config: some Encodable, _ origin: String) throws
        -> KernelSelection
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(config), as: UTF8.self)
        return KernelSelection(template: impl, source: source, configJSON: json, configSource: origin)
    }
}

extension KernelCatalog {
    /// The operands template `impl` multiplies: float (rounded to fp16 on upload) for `hmma` and
    /// `hmma_wgmma`, int8 for the others.
    public static func elementType(impl: String) -> ConvElementType { impl.hasPrefix("hmma") ? .float32 : .int8 }
}
