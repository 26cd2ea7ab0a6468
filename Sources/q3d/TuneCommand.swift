import ArgumentParser
import CPUKernels
import ConvGeometry
import Engine
import Kernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `q3d tune`: search a template's config space for one convolution, or for every distinct
/// convolution of a model (largest FLOP share first), appending each trial to a tuning log.
///
/// GPU trials run in a worker process (`q3d tune-worker`): a kernel that faults or hangs fails its
/// trial only. Re-running with the same log measures nothing the log already holds.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Tune kernel configs for a convolution or every convolution of a model; log every trial.")

    @OptionGroup var conv: ConvOptions

    @Option(help: "An ONNX model instead of conv flags: tune each distinct convolution (give --batch if N is symbolic).")
    var model: String?

    @Option(help: "cuda (GPU templates, trials in a worker process) or cpu (the fast CPU path).")
    var device: String = "cuda"

    @Option(help: "auto (what `--impl auto` would run on this device), or a template name.")
    var impl: String = "auto"

    @Option(help: "Trials per workload, counting those the log holds (a re-run measures only the rest).")
    var trials: Int = 100

    @Option(help: "Search strategy: model (cost model + simulated annealing), random or grid.")
    var strategy: String = "model"

    @Option(help: "Configs proposed, compiled in parallel and measured per round.")
    var round: Int = 16

    @Option(help: "The tuning log (JSON Lines; appended to, and read to resume).")
    var log: String

    @Option(help: "Write a plot of the best time so far against trials to this SVG file.")
    var plot: String?

    @Option(help: "int8 only: int32 accumulators or int8 through the fused epilogue (default: int32; int8 for --model).")
    var out: OutputChoice?

    @Option(help: "Timed runs per trial (the median is kept).")
    var repeats: Int = 20

    @Option(help: "Untimed runs before the timed ones.")
    var warmup: Int = 5

    @Option(help: "Seconds a GPU trial may take before its worker is killed and the trial fails.")
    var timeLimit: Double = 10

    @Option(help: "Seed of the search and of the random data.")
    var seed: UInt64 = 1

    @Option(help: .hidden)
    var simulate: String?

    /// Testing the worker's recovery: trial N (1-based, counting logged trials) runs a faulting kernel
    /// (GPU) or crashes the worker; trial M runs a kernel that never ends (GPU) or hangs the worker.
    @Option(help: .hidden)
    var injectFault: Int?

    @Option(help: .hidden)
    var injectHang: Int?

    @Flag(help: "Print one JSON object per workload instead of the table.")
    var json = false

    func validate() throws {
        if trials < 1 { throw ValidationError("--trials is \(trials); expected 1 or more") }
        if round < 1 { throw ValidationError("--round is \(round); expected 1 or more") }
        if repeats < 1 { throw ValidationError("--repeats is \(repeats); expected 1 or more") }
        if warmup < 0 { throw ValidationError("--warmup is \(warmup); expected 0 or more") }
        if !(timeLimit > 0) { throw ValidationError("--time-limit is \(timeLimit); expected a positive number of seconds") }
        guard ["cpu", "cuda"].contains(device) else { throw ValidationError("--device \(device); expected cpu or cuda") }
        guard ["model", "random", "grid"].contains(strategy) else {
            throw ValidationError("--strategy \(strategy); expected model, random or grid")
        }
        if let simulate, GPUArchitecture.preset(named: simulate) == nil {
            throw ValidationError(
                "--simulate \(simulate); expected one of \(GPUArchitecture.presets.map(\.nvrtcArchitecture).joined(separator: ", "))")
        }
        if model != nil && (conv.layer != nil || conv.input != nil || conv.weight != nil) {
            throw ValidationError("give either --model or conv flags (--layer, --input/--weight), not both")
        }
    }

    func targets() throws -> [TuneTarget] {
        if let model { return try TuneTargets.fromModel(model, batch: conv.batch) }
        let (name, p) = try conv.parameters()
        return [TuneTarget(name: name ?? TuneTargets.shortName(p), parameters: p)]
    }

    /// This executable, to start workers from.
    static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw ValidationErrorText("cannot find the q3d executable (/proc/self/exe) to start a tune worker") }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func run() throws {
        let targets = try targets()
        var summaries: [TuneSummary] = []
        let session = try TuneSession(command: self, output: out ?? (model != nil ? .int8 : .int32))
        for target in targets {
            let summary = try session.tune(target)
            summaries.append(summary)
            if json { print(try JSONText.encode(summary)) }
        }
        if !json {
            print(TuneSummary.table(summaries))
            for s in summaries { if let f = s.firstFailure { print("first failure in \(s.workload): \(f)") } }
            if model != nil, let total = TuneSummary.modelConvolutionMs(summaries) {
                let nodes = summaries.reduce(0) { $0 + max($1.nodes.count, 1) }
                print("the model's \(nodes) convolutions with these configs: \(Format.significant(total, 4)) ms")
            }
        }
        if let plot {
            let svg = TuningPlot.svg(
                title: "q3d tune: best time so far (\(strategy) search)",
                series: summaries.map { TuningPlot.Series(label: "\($0.workload) \($0.impl)", bestSoFar: $0.bestSoFar) })
            try TextFile.write(svg, to: plot)
            if !json { Terminal.note("plot written to \(plot)") }
        }
    }
}
