import CUDARuntime

/// The device a user asked for.
public enum DeviceRequest: String, Sendable { case cpu, cuda, auto }

/// The device an implementation runs on.
public enum ComputeDevice: String, Codable, Sendable { case cpu, cuda }

/// The implementation chosen for one convolution, the device it runs on, and why.
public struct Conv3DChoice: Sendable {
    public let impl: String
    public let device: ComputeDevice
    /// Why this implementation (shown with `--json` as `reason`).
    public let reason: String
    /// Something the user should know, e.g. a fallback from CUDA to the CPU.
    public let note: String?
}

/// Picks an implementation by name, device and element type. An implementation whose conditions
/// fail is not a candidate; nothing asserts.
public enum Conv3DChooser {
    static let cpuImplementations = ["reference", "fast"]
    static let cudaImplementations = KernelCatalog.names

    public static func choose(impl: String, device: DeviceRequest, request: Conv3DRequest) throws -> Conv3DChoice {
        let known = ["auto"] + cpuImplementations + cudaImplementations
        guard known.contains(impl) else { throw EngineError.unknownImplementation(impl, known: known) }
        if cpuImplementations.contains(impl) {
            if device == .cuda { throw EngineError.wrongDevice(impl: impl, runsOn: .cpu, asked: device) }
            return Conv3DChoice(impl: impl, device: .cpu, reason: "asked for by name", note: nil)
        }
        if cudaImplementations.contains(impl) {
            if device == .cpu { throw EngineError.wrongDevice(impl: impl, runsOn: .cuda, asked: device) }
            if case .unavailable(let why) = CUDADriver.availability() { throw EngineError.cudaUnavailable(why) }
            guard request.dtype == .int8 else {
                throw EngineError.unsupported(impl: impl, reason: "it computes int8 only (asked: \(request.dtype.rawValue))")
            }
            return Conv3DChoice(impl: impl, device: .cuda, reason: "asked for by name", note: nil)
        }
        // auto
        if device == .cpu {
            return Conv3DChoice(impl: "fast", device: .cpu, reason: "the fastest CPU implementation", note: nil)
        }
        let availability = CUDADriver.availability()
        if case .unavailable(let why) = availability {
            if device == .cuda { throw EngineError.cudaUnavailable(why) }
            return Conv3DChoice(
                impl: "fast", device: .cpu, reason: "no GPU: \(why)", note: "note: \(why); running on the CPU")
        }
        if request.dtype != .int8 {
            let why = "Q3D has no CUDA float32 conv3d yet"
            if device == .cuda { throw EngineError.unsupported(impl: "auto", reason: why) }
            return Conv3DChoice(impl: "fast", device: .cpu, reason: why, note: "note: \(why); running on the CPU")
        }
        return Conv3DChoice(impl: "dp4a", device: .cuda, reason: "int8 on a CUDA GPU", note: nil)
    }
}

extension Conv3DChoice {
    /// A runner for this choice over fresh random data of `request`.
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
            return try CUDAConv3DRunner(request: request, impl: impl, config: config, configIndex: configIndex)
        }
    }
}
