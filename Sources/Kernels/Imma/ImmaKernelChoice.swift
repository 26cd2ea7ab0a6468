import ConvGeometry

/// One configuration of either imma template, so that runners and benchmarks can carry both.
public enum ImmaKernelChoice: Hashable, Codable, Sendable, CustomStringConvertible {
    case mmaSync(ImmaConv3DConfig)
    case wgmma(ImmaWgmmaConv3DConfig)

    /// The two templates.
    public enum Template: String, Hashable, Codable, Sendable, CaseIterable {
        case mmaSync = "mma.sync"
        case wgmma
    }

    public var template: Template {
        switch self {
        case .mmaSync: return .mmaSync
        case .wgmma: return .wgmma
        }
    }

    /// Renders the configuration with its template.
    public func render(workload: Conv3DParameters, output: OutputKind) throws(KernelsError) -> KernelSource {
        switch self {
        case .mmaSync(let config): return try ImmaConv3DTemplate.render(workload: workload, config: config, output: output)
        case .wgmma(let config): return try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
        }
    }

    /// The template's default configuration for `workload` on `arch`.
    public static func defaultConfig(_ template: Template, for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaKernelChoice {
        switch template {
        case .mmaSync: return .mmaSync(try ImmaConv3DTemplate.defaultConfig(for: workload, on: arch))
        case .wgmma: return .wgmma(try ImmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: arch))
        }
    }

    /// `count` distinct configurations drawn uniformly from the template's space.
    public static func sample(
        _ template: Template, count: Int, for workload: Conv3DParameters, on arch: GPUArchitecture,
        using generator: inout some RandomNumberGenerator
    ) throws(KernelsError) -> [ImmaKernelChoice] {
        var result: [ImmaKernelChoice] = []
        switch template {
        case .mmaSync:
            let space = try ImmaConv3DTemplate.space(for: workload, on: arch)
            for point in space.sample(count: count, using: &generator) {
                do {
                    result.append(.mmaSync(try space.config(at: point, as: ImmaConv3DConfig.self)))
                } catch {
                    throw .space(error)
                }
            }
        case .wgmma:
            let space = try ImmaWgmmaConv3DTemplate.space(for: workload, on: arch)
            for point in space.sample(count: count, using: &generator) {
                do {
                    result.append(.wgmma(try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)))
                } catch {
                    throw .space(error)
                }
            }
        }
        return result
    }

    public var description: String {
        switch self {
        case .mmaSync(let config): return "mma.sync \(config)"
        case .wgmma(let config): return "wgmma \(config)"
        }
    }
}
