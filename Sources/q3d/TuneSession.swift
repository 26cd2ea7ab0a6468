import CPUKernels
import CUDARuntime
import ConvGeometry
import Engine
import FoundationEssentials
import Kernels
import Tuning

/// The state `q3d tune` keeps across workloads: the device, the worker process and the log file.
final class TuneSession {
    let command: TuneCommand
    let output: OutputChoice
    let environment: DeviceEnvironment
    let log: JSONLinesFile
    private let measurer: TrialBatchMeasurer
    private let deviceName: String
    private let arch: GPUArchitecture?

    init(command: TuneCommand, output: OutputChoice) throws {
        self.command = command
        self.output = output
        let executable = try TuneCommand.executablePath()
        var workerDevice = command.device
        if let simulate = command.simulate, let preset = GPUArchitecture.preset(named: simulate) {
            // Pseudo-times for a described GPU: the tuning loop without one (kernels still compile).
            environment = .cuda(arch: preset, name: "simulated \(simulate)")
            arch = preset
            deviceName = "simulated \(simulate)"
            workerDevice = "simulated"
        } else if command.device == "cuda" {
            environment = .current()
            guard case .cuda(let arch, let name) = environment else {
                if case .cpuOnly(let why) = environment { throw EngineError.cudaUnavailable(why) }
                throw EngineError.cudaUnavailable("no GPU")
            }
            self.arch = arch
            deviceName = name
        } else {
            environment = .cpuOnly(reason: "--device cpu")
            arch = nil
            deviceName = "cpu (\(CPUFeatures.current.activeCores) cores)"
        }
        let worker = TrialWorkerProcess(
            command: [executable, "tune-worker", "--device", workerDevice], timeLimit: command.timeLimit)
        measurer = TrialBatchMeasurer(
            worker: worker, arch: arch, cache: ModuleCache(), compileThreads: CPUFeatures.current.activeCores)
        log = try JSONLinesFile(path: command.log)
        try log.terminateLastLine()
    }

    /// The implementation to tune for `target`: `--impl`, or for `auto` the registry's choice on this device.
    func implementation(for request: Conv3DRequest) throws -> String {
        let device: DeviceRequest = arch != nil ? .cuda : .cpu
        let choice = try Conv3DDispatcher(environment: environment)
            .choose(impl: command.impl, query: Conv3DQuery(request, device: device))
        return choice.impl
    }

    func tune(_ target: TuneTarget) throws -> TuneSummary {
        // hmma multiplies float operands (fp16 on the device); for it, int8 output means fp16 with bias
        // and ReLU. Everything else tunes int8.
        let dtype: ConvElementType = command.impl == "auto" ? .int8 : KernelCatalog.elementType(impl: command.impl)
        let request = Conv3DRequest(
            parameters: target.parameters, dtype: dtype, int8Output: output.isInt8,
            residual: dtype == .int8 && output == .int8Residual, seed: command.seed)
        let impl = try implementation(for: request)
        let workload = TrialWorkload(target.parameters)
        let logged = try TrialLog.load(command.log)
        for warning in logged.warnings { Terminal.note("warning: \(warning)") }
        let archName = arch?.nvrtcArchitecture ?? "cpu"
        let history = logged.records.filter {
            $0.matches(workload, dtype: request.dtype.rawValue, output: request.outputName, impl: impl) && $0.arch == archName
        }
        // --trials counts the log's trials too: a re-run measures only what an interrupted run left.
        var best: Double?
        var bestSoFar: [Double?] = []
        for record in history {
            if let ms = record.ms { best = min(best ?? ms, ms) }
            bestSoFar.append(best)
        }
        var bestConfig = history.first { $0.ms != nil && $0.ms == best }?.config
        var failures = 0
        var firstFailure: String?
        var done = history.count

        // A CPU implementation has no config: one trial measures it.
        guard let arch else {
            if history.isEmpty {
                let result = measurer.measure([
                    TrialRequest(
                        id: 1, workload: workload, output: request.outputName, impl: impl, config: nil,
                        repeats: command.repeats, warmup: command.warmup, seed: command.seed)
                ])[0]
                try append(result, workload: workload, request: request, impl: impl, config: nil)
                done += 1
                if let ms = result.milliseconds, result.succeeded { best = min(best ?? ms, ms) } else {
                    failures = 1
                    firstFailure = "\(result.stage ?? "?"): \(result.error ?? "")"
                }
                bestSoFar.append(best)
            }
            return TuneSummary(
                target: target, impl: impl, device: deviceName, trials: done - history.count, failures: failures, resumed: history.count,
                bestMs: best, config: nil, firstFailure: firstFailure, bestSoFar: bestSoFar)
        }

        let space = try KernelCatalog.space(impl: impl, workload: target.parameters, arch: arch)
        guard let kind = SearchStrategyKind(rawValue: command.strategy) else {
            throw ValidationErrorText(TuningError.unknownStrategy(command.strategy).description)
        }
        // The template's default config first, and what the template knows of its points for the model.
        var hints = SearchHints(
            initialPoints: [try? KernelCatalog.defaultPoint(impl: impl, workload: target.parameters, arch: arch, space: space)]
                .compactMap { $0 })
        if let model = try KernelCatalog.costModelHints(impl: impl, workload: target.parameters, arch: arch, space: space) {
            hints.features = model.features
            hints.estimate = model.estimate
        }
        var strategy = try kind.make(space: space, seed: command.seed ^ UInt64(history.count), hints: hints)
        // Resume: what the log holds is measured already; the strategy learns from it.
        var seen = Set<ConfigPoint>()
        for record in history {
            if let json = record.config, let point = try? KernelCatalog.pointForJSON(
                impl: impl, json: json, space: space, workload: target.parameters, arch: arch)
            {
                seen.insert(point)
                strategy.observe(point, cost: record.error == nil ? record.ms : nil)
            }
        }
        let trials = WorkerTrials(
            impl: impl, request: request, space: space, measurer: measurer, repeats: command.repeats,
            warmup: command.warmup)
        let total = command.trials
        while done < total {
            let points = strategy.next(min(command.round, total - done), excluding: seen)
            if points.isEmpty { break }
            seen.formUnion(points)
            var index = 0
            var logError: (any Error)?
            let first = done + 1
            let inject: (Int) -> TrialDebug? = { [command] i in
                if command.injectFault == first + i { return .fault }
                if command.injectHang == first + i { return .spin }
                return nil
            }
            trials.measure(points, debug: inject) { position, result in
                index += 1
                // Logged as each trial ends: a killed run loses at most the trial under way.
                let config = try? trials.configJSON(points[position])
                do {
                    try append(result, workload: workload, request: request, impl: impl, config: config)
                } catch {
                    logError = logError ?? error
                }
                strategy.observe(points[position], cost: result.succeeded ? result.milliseconds : nil)
                if !result.succeeded {
                    failures += 1
                    firstFailure = firstFailure ?? "\(result.stage ?? "?"): \(result.error ?? "")"
                }
                if let ms = result.milliseconds, result.succeeded, ms < (best ?? .infinity) {
                    best = ms
                    bestConfig = config
                }
                bestSoFar.append(best)
                Terminal.progress(
                    TuneSummary.progress(
                        workload: target.name, impl: impl, done: done + index, total: total, best: best, failures: failures))
            }
            if let logError { throw logError }
            done += points.count
        }
        Terminal.progress(
            TuneSummary.progress(workload: target.name, impl: impl, done: done, total: total, best: best, failures: failures),
            done: true)
        return TuneSummary(
            target: target, impl: impl, device: deviceName, trials: done - history.count, failures: failures, resumed: history.count,
            bestMs: best, config: bestConfig, firstFailure: firstFailure, bestSoFar: bestSoFar)
    }

    private func append(
        _ result: TrialResult, workload: TrialWorkload, request: Conv3DRequest, impl: String, config: String?
    ) throws {
        let template = KernelCatalog.template(impl: impl)
        try log.append(
            TrialRecord(
                workload: workload, dtype: request.dtype.rawValue, output: request.outputName, impl: impl, template: template?.name,
                templateVersion: template?.version, config: config, costs: result.times ?? [],
                ms: result.succeeded ? result.milliseconds : nil, stage: result.stage, error: result.error,
                device: deviceName, arch: arch?.nvrtcArchitecture ?? "cpu", detail: result.detail,
                q3dVersion: TrialRecord.q3dVersion,
                time: Date().timeIntervalSince1970))
    }
}
