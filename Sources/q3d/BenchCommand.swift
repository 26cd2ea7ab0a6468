import ArgumentParser
import CPUKernels
import CUDARuntime
import ConvGeometry
import Engine
import Kernels

/// `q3d bench`: for each layer, the default config and a random search over the template's space,
/// every candidate verified once and timed; reports the best.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a GPU kernel template on the benchmark layers (random search, each candidate verified).")

    @Option(help: "Template: \(KernelCatalog.names.joined(separator: ", ")).")
    var impl: String = "dp4a"

    @Option(help: "Layers: anchors, verify, dw (depthwise), grouped (1 < groups < C), or names separated by commas.")
    var layers: String = "anchors"

    @Option(help: "Batch for the layers (default: each layer's own).")
    var batch: Int?

    @Option(help: "Random valid configs per layer besides the default.")
    var trials: Int = 30

    @Option(help: "Timed launches per candidate (median reported).")
    var repeats: Int = 20

    @Option(help: "Output: int32 accumulators, or int8 through the fused epilogue.")
    var out: OutputChoice = .int8

    @Option(help: "Seed of data and search.")
    var seed: UInt64 = 1

    @Option(help: "Write every candidate as JSON Lines to this file.")
    var rows: String?

    @Flag(help: "Print JSON (one object per layer, in a list).")
    var json = false

    struct LayerResult: Encodable {
        let layer: String
        let gflop: Double
        let candidates, passed: Int
        let defaultMs: Double?
        let bestMs: Double?
        let bestMsMin: Double?
        let bestMsMax: Double?
        let bestTops: Double?
        let bestConfig: String?
        let bestSource: String?
        let registers: Int?
        /// Bytes of every buffer the kernel reads or writes, once each (input, weights, scale, bias,
        /// residual, output), and the best time's bandwidth over them: how a memory-bound kernel (dw) is
        /// judged.
        var bytes: Int? = nil
        var bestGBps: Double? = nil
    }

    /// Bytes of the buffers a kernel's parameters declare, each counted once (scratch excluded).
    static func bytesMoved(_ source: KernelSource) -> Int {
        source.parameters.reduce(0) { total, parameter in
            guard case let .buffer(element, count, _, _) = parameter.kind,
                parameter.role != .workspace, parameter.role != .counters
            else { return total }
            return total + count * element.byteSize
        }
    }

    func run() throws {
        guard let set = AnchorLayers.set(named: layers, batch: batch) else {
            throw ValidationError("--layers '\(layers)' names no known set or layer")
        }
        guard trials >= 0, repeats >= 1 else { throw ValidationError("--trials must be ≥ 0 and --repeats ≥ 1") }
        if case .unavailable(let why) = CUDADriver.availability() { throw EngineError.cudaUnavailable(why) }
        let context = try CUDAContext(ordinal: 0)
        let gpu = try CUDADevice(ordinal: 0)
        let arch = GPUArchitecture(gpu)
        let cache = ModuleCache()
        let output = out.kind
        let log = try rows.map { try JSONLinesFile(path: $0) }
        var results: [LayerResult] = []
        for layer in set {
            let p = layer.parameters
            let request = Conv3DRequest(
                parameters: p, dtype: KernelCatalog.elementType(impl: impl), int8Output: out.isInt8, residual: out == .int8Residual, seed: seed)
            let selections: [KernelSelection]
            do {
                selections = try KernelSweep.selections(
                    impl: impl, workload: p, arch: arch, output: output, count: trials, seed: seed)
            } catch {
                Terminal.note("\(layer.name): \(error)")
                results.append(LayerResult(
                    layer: layer.name, gflop: Double(p.flops) / 1e9, candidates: 0, passed: 0, defaultMs: nil,
                    bestMs: nil, bestMsMin: nil, bestMsMax: nil, bestTops: nil, bestConfig: nil, bestSource: "\(error)",
                    registers: nil))
                continue
            }
            let total = selections.count
            let compiled = KernelSweep.compile(
                selections, arch: gpu.arch, cache: cache, threads: CPUFeatures.current.activeCores
            ) { done in Terminal.progress(Terminal.bar(done, total, label: "\(layer.name): compiled")) }
            let check = KernelCheck(
                operands: DeviceOperands(problem: try Conv3DProblem(request), context: context),
                int8Output: request.int8Output)
            var best: (ms: Double, row: KernelSweep.Row, spread: ClosedRange<Double>?)?
            let rowsOut = KernelSweep.run(
                workload: layer.name, selections: selections, compiled: compiled, check: check, verify: true,
                repeats: repeats
            ) { i, row in
                if case let .passed(ms?, spread) = row.outcome, ms < (best?.ms ?? .infinity) { best = (ms, row, spread) }
                let bestText = best.map { "best \(Format.significant($0.ms, 3)) ms" } ?? "no passing config yet"
                Terminal.progress(Terminal.bar(i, total, label: "\(layer.name): \(bestText)"), done: i == total)
            }
            for row in rowsOut { try log?.append(SweepRowRecord(row, output: out.rawValue)) }
            var defaultMs: Double?
            if let first = rowsOut.first, case let .passed(ms, _) = first.outcome { defaultMs = ms }
            let passed = rowsOut.filter { if case .passed = $0.outcome { return true } else { return false } }.count
            results.append(LayerResult(
                layer: layer.name, gflop: Double(p.flops) / 1e9, candidates: total, passed: passed, defaultMs: defaultMs,
                bestMs: best?.ms, bestMsMin: best?.spread?.lowerBound, bestMsMax: best?.spread?.upperBound,
                bestTops: best.map { Double(p.flops) / ($0.ms * 1e9) }, bestConfig: best?.row.configJSON,
                bestSource: best?.row.configSource, registers: best?.row.registers,
                bytes: selections.first.map { Self.bytesMoved($0.source) },
                bestGBps: best.flatMap { b in selections.first.map { Double(Self.bytesMoved($0.source)) / (b.ms * 1e6) } }))
        }
        if json {
            print(try JSONText.encode(results))
            return
        }
        print("\(impl) on \(gpu.name) (\(gpu.arch)), output \(out.rawValue), \(trials) random configs + default per layer")
        if impl == "dw" {
            // Memory-bound: judged by bandwidth, (input + weights + output bytes) / time.
            print(Format.table(
                ["layer", "MB moved", "passed", "default ms", "best ms", "GB/s", "best config from"],
                results.map {
                    [
                        $0.layer, $0.bytes.map { Format.fixed(Double($0) / 1e6, 1) } ?? "-", "\($0.passed)/\($0.candidates)",
                        $0.defaultMs.map { Format.significant($0, 3) } ?? "-", $0.bestMs.map { Format.significant($0, 3) } ?? "-",
                        $0.bestGBps.map { Format.fixed($0, 0) } ?? "-", $0.bestSource ?? "-",
                    ]
                }))
            return
        }
        print(Format.table(
            ["layer", "GFLOP", "passed", "default ms", "best ms", "TOPS", "best config from"],
            results.map {
                [
                    $0.layer, Format.fixed($0.gflop, 1), "\($0.passed)/\($0.candidates)",
                    $0.defaultMs.map { Format.significant($0, 3) } ?? "-", $0.bestMs.map { Format.significant($0, 3) } ?? "-",
                    $0.bestTops.map { Format.fixed($0, 1) } ?? "-", $0.bestSource ?? "-",
                ]
            }))
    }
}
