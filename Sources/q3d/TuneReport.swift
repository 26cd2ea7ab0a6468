import ConvGeometry
import Engine

/// What `q3d tune` found for one workload: the closing table's row, the `--json` object and the
/// plot's series.
struct TuneSummary: Encodable {
    let workload: String
    let parameters: String
    let impl: String
    let device: String
    /// Trials measured in this run.
    let trials: Int
    /// Trials of this run that failed (compile, verify, crash, time limit).
    let failures: Int
    /// Trials already in the log for this workload and implementation, not measured again.
    let resumed: Int
    let bestMs: Double?
    let tops: Double?
    let config: String?
    let flopShare: Double?
    /// The model's nodes with this geometry (empty for a convolution given by flags).
    let nodes: [String]
    /// The workload as the tuning log keys it, to join this summary with the log's records.
    let trialWorkload: TrialWorkload
    let firstFailure: String?
    /// Best time after each trial, the log's earlier trials first (nil until one succeeds).
    let bestSoFar: [Double?]

    enum CodingKeys: String, CodingKey {
        case workload, parameters, impl, device, trials, failures, resumed, tops, config, nodes
        case trialWorkload = "trial_workload"
        case bestMs = "best_ms", flopShare = "flop_share", firstFailure = "first_failure", bestSoFar = "best_so_far"
    }

    init(
        target: TuneTarget, impl: String, device: String, trials: Int, failures: Int, resumed: Int, bestMs: Double?,
        config: String?, firstFailure: String?, bestSoFar: [Double?]
    ) {
        workload = target.name
        parameters = target.parameters.description
        self.impl = impl
        self.device = device
        self.trials = trials
        self.failures = failures
        self.resumed = resumed
        self.bestMs = bestMs
        tops = bestMs.map { Double(target.parameters.flops) / ($0 * 1e9) }
        self.config = config
        flopShare = target.flopShare
        nodes = target.nodes
        trialWorkload = TrialWorkload(target.parameters)
        self.firstFailure = firstFailure
        self.bestSoFar = bestSoFar
    }

    /// The closing table; the config, long JSON, goes last and unpadded.
    static func table(_ rows: [TuneSummary]) -> String {
        let shares = rows.contains { $0.flopShare != nil }
        var lines = Format.table(
            ["workload"] + (shares ? ["FLOP share"] : []) + ["impl", "trials", "failures", "best ms", "TOPS"],
            rows.map { r in
                [r.workload] + (shares ? [r.flopShare.map { Format.fixed($0 * 100, 1) + "%" } ?? "-"] : []) + [
                    r.impl, r.resumed > 0 ? "\(r.trials) (+\(r.resumed) logged)" : "\(r.trials)", "\(r.failures)",
                    r.bestMs.map { Format.significant($0, 4) } ?? "-", r.tops.map { Format.significant($0, 3) } ?? "-",
                ]
            }
        ).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let configs = ["config", "------"] + rows.map { $0.config ?? "-" }
        for i in lines.indices where i < configs.count { lines[i] += "  " + configs[i] }
        return lines.joined(separator: "\n")
    }

    /// For a model: its convolutions' time with each workload's best config, every node counted
    /// (nil until every workload has a successful trial).
    static func modelConvolutionMs(_ rows: [TuneSummary]) -> Double? {
        var total = 0.0
        for r in rows {
            guard let ms = r.bestMs else { return nil }
            total += ms * Double(max(r.nodes.count, 1))
        }
        return total
    }

    /// The progress line: `r3d.l1 imma [#####.......] 40/200, best 0.123 ms, 3 failed`.
    static func progress(workload: String, impl: String, done: Int, total: Int, best: Double?, failures: Int) -> String {
        let best = best.map { "best \(Format.significant($0, 4)) ms" } ?? "no success yet"
        return "\(workload) \(impl) " + Terminal.bar(done, total, label: "\(best), \(failures) failed")
    }
}
