import ArgumentParser
import CPUKernels
import CUDARuntime
import ConvGeometry
import Engine
import Kernels
import Tensors

/// `q3d conv3d`: one convolution on fresh random non-zero data, optionally checked against the
/// reference and timed.
struct Conv3DCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv3d",
        abstract: "Run one 3D convolution on random data; verify it against the reference and time it.")

    @OptionGroup var conv: ConvOptions

    @Option(help: "Element type: int8 (int32 accumulation) or float32.")
    var dtype: ConvDType = .int8

    @Option(help: "int8 only: int32 accumulators, or int8 through the fused epilogue (scale, bias, ReLU).")
    var out: OutputChoice = .int32

    @Option(help: "cpu, cuda, or auto (cuda when a GPU and NVRTC are there, else cpu).")
    var device: DeviceChoice = .auto

    @Option(help: "auto (the registry's choice; see `reason` in --json), reference, fast (CPU), dp4a, imma, imma_wgmma, imma_halo (stride 1, sm_90a), dw (depthwise), hmma and hmma_wgmma (float, fp16 tensor cores; hmma_wgmma on sm_90a) (CUDA).")
    var impl: String = "auto"

    @Option(help: "A tuning log (q3d tune --log): use the fastest config it holds for this workload that is valid on this GPU. Repeat it to merge logs (from several machines, say).")
    var tuningLog: [String] = []

    @Option(help: "Seed of the random data.")
    var seed: UInt64 = 1

    @Option(help: "CPU threads (default: every core this process may use).")
    var threads: Int?

    @Option(help: "Timed repetitions for --bench (the median is reported).")
    var repeats: Int?

    @Option(help: "dp4a: the config as JSON (see `q3d compile --emit`).")
    var config: String?

    @Option(help: "dp4a: the config at this index of a seeded uniform sample of the valid space.")
    var configIndex: Int?

    @Flag(help: "Compare with the reference implementation (exact for int8).")
    var verify = false

    @Flag(help: "Time the implementation (median of --repeats after a warm-up).")
    var bench = false

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        let (name, p) = try conv.parameters()
        if let threads, threads < 1 { throw ValidationError("--threads is \(threads); expected 1 or more") }
        if let repeats, repeats < 1 { throw ValidationError("--repeats is \(repeats); expected 1 or more") }
        if dtype == .float32 && out.isInt8 { throw ValidationError("--out \(out.rawValue) goes with --dtype int8") }
        let request = Conv3DRequest(
            parameters: p, dtype: dtype == .int8 ? .int8 : .float32, int8Output: out.isInt8,
            residual: out == .int8Residual, seed: seed)
        let tuned = try tuningLog.flatMap { try TunedConfigs.load($0, request: request) }
        let choice = try Conv3DChooser.choose(impl: impl, device: device.engineValue, request: request, tuned: tuned)
        if let note = choice.note, !json { Terminal.note(note) }
        for warning in choice.warnings { Terminal.note("warning: \(warning)") }
        var runner = try choice.makeRunner(
            request: request, threads: threads, config: config, configIndex: configIndex)
        let result = try runner.run(
            verify: verify, bench: bench, repeats: repeats ?? (choice.device == .cuda ? 50 : 5))
        let report = Conv3DReport(name: name, request: request, choice: choice, result: result)
        if json {
            print(try JSONText.encode(report))
        } else {
            print(report.text)
        }
        if verify && result.verified == false { throw ExitCode(1) }
    }
}

enum ConvDType: String, ExpressibleByArgument, CaseIterable { case int8, float32 }
/// What a GPU kernel writes: int32 accumulators, int8 through the fused epilogue, or int8 through the
/// epilogue with a residual added (a ResNet block's skip connection).
enum OutputChoice: String, ExpressibleByArgument, CaseIterable {
    case int32, int8
    case int8Residual = "int8-residual"

    /// Whether the output is requantized to int8.
    var isInt8: Bool { self != .int32 }

    var kind: OutputKind { self == .int32 ? .int32 : .int8(relu: true, residual: self == .int8Residual) }
}

enum DeviceChoice: String, ExpressibleByArgument, CaseIterable {
    case cpu, cuda, auto

    var engineValue: DeviceRequest {
        switch self {
        case .cpu: .cpu
        case .cuda: .cuda
        case .auto: .auto
        }
    }
}
