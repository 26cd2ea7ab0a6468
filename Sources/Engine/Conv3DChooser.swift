/// The device a user asked for.
public enum DeviceRequest: String, Sendable { case cpu, cuda, auto }

/// The device an implementation runs on.
public enum ComputeDevice: String, Codable, Sendable { case cpu, cuda }

/// The implementation chosen for one convolution, the device it runs on, its config, and why.
public struct Conv3DChoice: Sendable {
    public let impl: String
    public let device: ComputeDevice
    /// Why this implementation (shown with `--json` as `reason`), naming those rejected and why.
    public let reason: String
    /// Something the user should know, e.g. a fallback from CUDA to the CPU.
    public let note: String?
    /// GPU templates: the config as JSON (nil for CPU implementations, which have none).
    public var config: String?
    /// `tuning-log` or `default`.
    public var configSource: String
    /// Implementations that were not candidates, with their reasons.
    public var rejected: [Conv3DRejection]
    /// Tuning-log records skipped as invalid on this device.
    public var warnings: [String]

    public init(
        impl: String, device: ComputeDevice, reason: String, note: String?, config: String? = nil,
        configSource: String = "default", rejected: [Conv3DRejection] = [], warnings: [String] = []
    ) {
        self.impl = impl
        self.device = device
        self.reason = reason
        self.note = note
        self.config = config
        self.configSource = configSource
        self.rejected = rejected
        self.warnings = warnings
    }
}

/// Picks an implementation by name, device and element type on this machine through
/// ``Conv3DDispatcher`` and the standard registry.
public enum Conv3DChooser {
    public static func choose(
        impl: String, device: DeviceRequest, request: Conv3DRequest, tuned: [TunedConfig] = []
    ) throws -> Conv3DChoice {
        // A CPU-only request needs no driver probe.
        let environment: DeviceEnvironment = device == .cpu ? .cpuOnly(reason: "--device cpu") : .current()
        return try Conv3DDispatcher(environment: environment)
            .choose(impl: impl, query: Conv3DQuery(request, device: device), tuned: tuned)
    }
}

extension Conv3DChoice {
    /// A runner for this choice over fresh random data of `request`. `config` or `configIndex`, when
    /// given, override the chosen config.
    public func makeRunner(
        request: Conv3DRequest, threads: Int?, config: String?, configIndex: Int?
    ) throws -> any Conv3DRunner {
        switch device {
        case .cpu:
            if config != nil || configIndex != nil {
                throw EngineError.unsupported(impl: impl, reason: "--config and --config-index are for GPU kernels")
            }
            return try CPUConv3DRunner(request: request, variant: impl == "reference" ? .reference : .fast, threads: threads)
        case .cuda:
            if config != nil || configIndex != nil {
                return try CUDAConv3DRunner(request: request, impl: impl, config: config, configIndex: configIndex)
            }
            // The chosen config: from the tuning log, or nil for the template's default.
            return try CUDAConv3DRunner(
                request: request, impl: impl, config: configSource == "tuning-log" ? self.config : nil, configIndex: nil,
                configSource: configSource)
        }
    }
}
