import ArgumentParser
import CPUKernels
import CUDARuntime
import ConvGeometry
import Engine
import Kernels

/// `q3d verify`: random valid configs of a GPU template, each checked exactly against the CPU on
/// fresh random data, with the output poisoned before every run.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check random configs of a GPU kernel template against the CPU on a CUDA device.")

    @Option(help: "Template: \(KernelCatalog.names.joined(separator: ", ")).")
    var impl: String = "dp4a"

    @Option(help: "Workloads: verify (r3d.l1, r2p1d.t, r3d.stem, odd.c24k40d2), anchors, dw (depthwise: dw.c96, dw.c96s2, dw.c54, dw.c21d2), grouped (g32.c128, g32.c256, g32.c512s2, g4.c256, g2.c24k40d2, g4.c48k36s2), or names separated by commas.")
    var workloads: String = "verify"

    @Option(help: "Batch for the workloads (default: each layer's own).")
    var batch: Int?

    @Option(help: "Random valid configs per workload and output kind (the default config is added).")
    var configs: Int = 100

    @Option(help: "Outputs to check: int32, int8 (fused epilogue), int8-residual (epilogue adding a residual), both (int32 and int8) or all (each gets --configs). hmma and hmma_wgmma (float operands): int32 checks float32 output with bias, int8 fp16 output with bias and ReLU.")
    var out: String = "both"

    @Option(help: "Seed of the data and of the config sample.")
    var seed: UInt64 = 1

    @Option(help: "Device; only cuda verifies GPU kernels.")
    var device: String = "cuda"

    @Option(help: "Write every row (config, outcome) as JSON Lines to this file.")
    var rows: String?

    @Flag(help: "Print a JSON summary.")
    var json = false

    struct Summary: Encodable {
        let workload, output: String
        let configs, passed, mismatched, failed, unwrittenTotal: Int
        let firstFailure: String?
    }

    func run() throws {
        guard device == "cuda" else { throw ValidationError("--device \(device): verify checks GPU kernels; use --device cuda") }
        guard let sets = AnchorLayers.set(named: workloads, batch: batch) else {
            throw ValidationError("--workloads '\(workloads)' names no known workload set or layer")
        }
        let outputs: [(String, OutputKind)]
        switch out {
        case "int32": outputs = [("int32", .int32)]
        case "int8": outputs = [("int8", .int8(relu: true, residual: false))]
        case "int8-residual": outputs = [("int8-residual", .int8(relu: true, residual: true))]
        case "both": outputs = [("int32", .int32), ("int8", .int8(relu: true, residual: false))]
        case "all":
            outputs = [
                ("int32", .int32), ("int8", .int8(relu: true, residual: false)),
                ("int8-residual", .int8(relu: true, residual: true)),
            ]
        default: throw ValidationError("--out \(out); expected int32, int8, int8-residual, both or all")
        }
        if case .unavailable(let why) = CUDADriver.availability() { throw EngineError.cudaUnavailable(why) }
        let context = try CUDAContext(ordinal: 0)
        let gpu = try CUDADevice(ordinal: 0)
        let arch = GPUArchitecture(gpu)
        let cache = ModuleCache()
        var summaries: [Summary] = []
        let log = try rows.map { try JSONLinesFile(path: $0) }
        for layer in sets {
            for (outputName, output) in outputs {
                let request = Conv3DRequest(
                    parameters: layer.parameters, dtype: KernelCatalog.elementType(impl: impl), int8Output: outputName != "int32",
                    residual: outputName == "int8-residual", seed: seed)
                let selections: [KernelSelection]
                do {
                    selections = try KernelSweep.selections(
                        impl: impl, workload: layer.parameters, arch: arch, output: output, count: configs, seed: seed)
                } catch KernelsError.unsupportedWorkload(_, let reason) where sets.count > 1 {
                    // A set mixes shapes (the verify set has a strided stem and a dilated layer); a template that
                    // applies to some of them is checked on those.
                    Terminal.note("\(impl) skips \(layer.name): \(reason)")
                    continue
                }
                let label = "\(layer.name) \(outputName)"
                let total = selections.count
                let compiled = KernelSweep.compile(
                    selections, arch: gpu.arch, cache: cache, threads: CPUFeatures.current.activeCores
                ) { done in Terminal.progress(Terminal.bar(done, total, label: "\(label): compiled")) }
                let check = KernelCheck(
                    operands: DeviceOperands(problem: try Conv3DProblem(request), context: context),
                    int8Output: request.int8Output)
                Terminal.progress("\(label): CPU reference")
                _ = try check.reference()
                var failed = 0
                let results = KernelSweep.run(
                    workload: layer.name, selections: selections, compiled: compiled, check: check, verify: true,
                    repeats: 0
                ) { i, row in
                    if row.outcome.isFailure { failed += 1 }
                    Terminal.progress(Terminal.bar(i, total, label: "\(label): verified, \(failed) failed"), done: i == total)
                }
                for row in results { try log?.append(SweepRowRecord(row, output: outputName)) }
                summaries.append(Self.summarize(layer.name, outputName, results))
            }
        }
        guard !summaries.isEmpty else { throw ValidationError("\(impl) applies to none of --workloads \(workloads)") }
        if json {
            print(try JSONText.encode(summaries))
        } else {
            print("\(impl) on \(gpu.name) (\(gpu.arch)), seed \(seed)")
            print(Format.table(
                ["workload", "output", "configs", "passed", "mismatched", "failed", "unwritten"],
                summaries.map {
                    [$0.workload, $0.output, "\($0.configs)", "\($0.passed)", "\($0.mismatched)", "\($0.failed)", "\($0.unwrittenTotal)"]
                }))
            for s in summaries { if let f = s.firstFailure { print("first failure in \(s.workload) \(s.output): \(f)") } }
        }
        if summaries.contains(where: { $0.passed != $0.configs }) { throw ExitCode(1) }
    }

    static func summarize(_ workload: String, _ output: String, _ rows: [KernelSweep.Row]) -> Summary {
        var passed = 0, mismatched = 0, failed = 0, unwritten = 0
        var first: String?
        for row in rows {
            switch row.outcome {
            case .passed, .compiled: passed += 1
            case let .mismatched(m, u, e):
                mismatched += 1
                unwritten += u
                first = first ?? "\(row.configJSON): \(m) mismatches, \(u) unwritten, max |err| \(e)"
            case let .failed(stage, message):
                failed += 1
                first = first ?? "\(row.configJSON): \(stage) failed: \(message)"
            }
        }
        return Summary(
            workload: workload, output: output, configs: rows.count, passed: passed, mismatched: mismatched,
            failed: failed, unwrittenTotal: unwritten, firstFailure: first)
    }
}

/// One sweep row as a JSON object (for `--rows` logs).
struct SweepRowRecord: Encodable {
    let workload, output, config, configSource, kernel, outcome: String
    let registers, spillBytes: Int?
    let ms, msMin, msMax: Double?
    let detail: String?

    init(_ row: KernelSweep.Row, output: String) {
        workload = row.workload
        self.output = output
        config = row.configJSON
        configSource = row.configSource
        kernel = row.kernelName
        registers = row.registers
        spillBytes = row.spillBytes
        var detail: String?
        var ms: Double?, lo: Double?, hi: Double?
        switch row.outcome {
        case .compiled: outcome = "compiled"
        case let .passed(m, spread):
            outcome = "passed"
            ms = m
            lo = spread?.lowerBound
            hi = spread?.upperBound
        case let .mismatched(m, u, e):
            outcome = "mismatched"
            detail = "\(m) mismatches, \(u) unwritten, max |err| \(e)"
        case let .failed(stage, message):
            outcome = "failed"
            detail = "\(stage): \(message)"
        }
        self.detail = detail
        self.ms = ms
        msMin = lo
        msMax = hi
    }
}
