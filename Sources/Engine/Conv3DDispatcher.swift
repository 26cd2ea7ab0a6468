import ConvGeometry
import Kernels

/// Picks an implementation and its config for one convolution on one device.
///
/// The implementation: every registry entry whose conditions hold is a candidate (the others are
/// listed with their reasons). Among candidates that the tuning log has timed on this architecture,
/// the fastest wins; without such records, the highest priority does.
///
/// The config: the fastest record of the chosen template measured on this architecture, then records
/// from other architectures, each checked against this device's space first (logs from several
/// machines merge; a record that does not launch here is skipped with a warning and the next one
/// tried), else the template's default, which is valid by construction.
///
/// ```swift
/// let dispatcher = Conv3DDispatcher(environment: .current())
/// let choice = try dispatcher.choose(impl: "auto", query: Conv3DQuery(request, device: .auto), tuned: records)
/// choice.impl; choice.config; choice.configSource   // "imma", "{...}", "tuning-log"
/// ```
public struct Conv3DDispatcher: Sendable {
    public var registry: Conv3DRegistry
    public var environment: DeviceEnvironment

    public init(registry: Conv3DRegistry = .standard, environment: DeviceEnvironment) {
        self.registry = registry
        self.environment = environment
    }

    /// The implementation `impl` ("auto" or a registry name) for `query`, with its config.
    /// Throws for an unknown name, or a named implementation whose conditions fail (naming the condition).
    public func choose(impl: String, query: Conv3DQuery, tuned: [TunedConfig] = []) throws -> Conv3DChoice {
        if impl != "auto" { return try chooseNamed(impl, query: query, tuned: tuned) }
        if query.device == .cuda, case .cpuOnly(let why) = environment { throw EngineError.cudaUnavailable(why) }
        var rejected: [Conv3DRejection] = []
        var candidates: [Conv3DImplementation] = []
        for implementation in registry.implementations.sorted(by: { $0.priority > $1.priority }) {
            if let why = implementation.rejection(for: query, on: environment) {
                rejected.append(Conv3DRejection(impl: implementation.name, reason: why))
            } else {
                candidates.append(implementation)
            }
        }
        guard !candidates.isEmpty else {
            throw EngineError.unsupported(
                impl: "auto",
                reason: "no implementation takes it: " + rejected.map { "\($0.impl): \($0.reason)" }.joined(separator: "; "))
        }
        var configs: [String: ConfigChoice] = [:]
        for candidate in candidates { configs[candidate.name] = config(for: candidate, query: query, tuned: tuned) }
        let timed = candidates.compactMap { c in configs[c.name]?.measuredHere.map { (c, $0) } }
        let chosen: Conv3DImplementation
        var reason: String
        if let fastest = timed.min(by: { $0.1 < $1.1 }) {
            chosen = fastest.0
            let others = timed.filter { $0.0.name != chosen.name }.map { "\($0.0.name) \(Self.ms($0.1))" }
            reason = "fastest in the tuning log on \(environment.architecture?.nvrtcArchitecture ?? "this device") ("
                + Self.ms(fastest.1) + (others.isEmpty ? "" : "; " + others.joined(separator: ", ")) + ")"
        } else {
            chosen = candidates[0]
            reason = candidates.count == 1
                ? "the only candidate" : "highest priority of \(candidates.map(\.name).joined(separator: ", "))"
        }
        let config = configs[chosen.name] ?? ConfigChoice(json: nil, source: "default")
        if !rejected.isEmpty { reason += "; rejected: " + Self.summary(of: rejected) }
        var note: String?
        if chosen.device == .cpu && query.device == .auto {
            let why: String
            if case .cpuOnly(let reason) = environment { why = reason } else { why = "no CUDA implementation takes it" }
            note = "note: \(why); running on the CPU"
        }
        return Conv3DChoice(
            impl: chosen.name, device: chosen.device, reason: reason, note: note, config: config.json,
            configSource: config.source, rejected: rejected, warnings: config.warnings)
    }

    private func chooseNamed(_ name: String, query: Conv3DQuery, tuned: [TunedConfig]) throws -> Conv3DChoice {
        guard let implementation = registry.implementation(named: name) else {
            throw EngineError.unknownImplementation(name, known: ["auto"] + registry.names)
        }
        switch (implementation.device, query.device, environment) {
        case (.cpu, .cuda, _), (.cuda, .cpu, _):
            throw EngineError.wrongDevice(impl: name, runsOn: implementation.device, asked: query.device)
        case (.cuda, _, .cpuOnly(let why)):
            throw EngineError.cudaUnavailable(why)
        default: break
        }
        if let why = implementation.rejection(for: query, on: environment) {
            throw EngineError.unsupported(impl: name, reason: why)
        }
        let config = config(for: implementation, query: query, tuned: tuned)
        return Conv3DChoice(
            impl: name, device: implementation.device, reason: "asked for by name", note: nil, config: config.json,
            configSource: config.source, rejected: [], warnings: config.warnings)
    }

    /// A config and where it came from; `measuredHere` is the time of a log record measured on this
    /// architecture.
    struct ConfigChoice {
        var json: String?
        var source: String
        var measuredHere: Double?
        var warnings: [String] = []
    }

    /// The config for a candidate: see the type's description for the order records are tried in.
    func config(for implementation: Conv3DImplementation, query: Conv3DQuery, tuned: [TunedConfig]) -> ConfigChoice {
        guard implementation.isTemplate, let arch = environment.architecture else {
            return ConfigChoice(json: nil, source: "default")
        }
        let here = arch.nvrtcArchitecture
        let records = tuned.filter { $0.impl == implementation.name && $0.milliseconds.isFinite }
            .sorted { ($0.arch == here ? 0 : 1, $0.milliseconds) < ($1.arch == here ? 0 : 1, $1.milliseconds) }
        var warnings: [String] = []
        if !records.isEmpty, let space = try? KernelCatalog.space(impl: implementation.name, workload: query.parameters, arch: arch) {
            for record in records {
                do {
                    let point = try KernelCatalog.pointForJSON(
                        impl: implementation.name, json: record.configJSON, space: space, workload: query.parameters,
                        arch: arch)
                    guard space.isValid(point) else { throw EngineError.invalidInput("outside the valid space") }
                    return ConfigChoice(
                        json: record.configJSON, source: "tuning-log",
                        measuredHere: record.arch == here ? record.milliseconds : nil, warnings: warnings)
                } catch {
                    warnings.append(
                        "tuning log: skipped a \(implementation.name) config measured on \(record.deviceName) (\(record.arch)), "
                            + "not valid on \(here): \(error)")
                }
            }
        }
        let json = try? Self.defaultConfigJSON(impl: implementation.name, workload: query.parameters, arch: arch)
        return ConfigChoice(json: json, source: "default", warnings: warnings)
    }

    static func defaultConfigJSON(impl: String, workload: Conv3DParameters, arch: GPUArchitecture) throws -> String {
        let space = try KernelCatalog.space(impl: impl, workload: workload, arch: arch)
        let point = try KernelCatalog.defaultPoint(impl: impl, workload: workload, arch: arch, space: space)
        return try KernelCatalog.configJSON(impl: impl, space: space, point: point)
    }

    /// `imma_wgmma, imma (no GPU: …), hmma (…)`: implementations rejected for one reason share it.
    static func summary(of rejected: [Conv3DRejection]) -> String {
        var groups: [(reason: String, impls: [String])] = []
        for r in rejected {
            if let i = groups.firstIndex(where: { $0.reason == r.reason }) {
                groups[i].impls.append(r.impl)
            } else {
                groups.append((r.reason, [r.impl]))
            }
        }
        return groups.map { "\($0.impls.joined(separator: ", ")) (\($0.reason))" }.joined(separator: "; ")
    }

    static func ms(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return "\(rounded) ms"
    }
}
