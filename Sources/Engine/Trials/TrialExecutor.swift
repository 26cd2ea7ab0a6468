/// Runs trials inside the worker process: one request in, one result out, never a throw (a failed
/// trial is a result with its stage and error).
public protocol TrialExecutor {
    mutating func run(_ request: TrialRequest) -> TrialResult
    /// True when the process must end after answering (its CUDA context is lost).
    var mustExit: Bool { get }
}

/// Trials of the CPU implementations (`fast`, `reference`): the CPU stand-in for the GPU worker, so that
/// the worker protocol and its crash and time-limit handling are tested on any machine. Each problem is
/// verified against the other CPU path on its first trial.
public struct CPUTrialExecutor: TrialExecutor {
    var verified: Set<String> = []
    let threads: Int?

    public init(threads: Int? = nil) { self.threads = threads }

    public var mustExit: Bool { false }

    public mutating func run(_ request: TrialRequest) -> TrialResult {
        let id = request.id
        guard request.config == nil else {
            return .failed(id, stage: "request", "CPU implementation '\(request.impl)' takes no config")
        }
        guard request.repeats >= 1 else { return .failed(id, stage: "request", "repeats is \(request.repeats); expected 1 or more") }
        let variant: CPUConv3DRunner.Variant
        switch request.impl {
        case "fast": variant = .fast
        case "reference": variant = .reference
        default: return .failed(id, stage: "request", "unknown CPU implementation '\(request.impl)'; expected fast or reference")
        }
        var runner: CPUConv3DRunner
        do {
            runner = try CPUConv3DRunner(request: try request.convRequest(), variant: variant, threads: threads)
        } catch {
            return .failed(id, stage: "request", "\(error)")
        }
        // The CPU path has nothing to prepare: each trial is a whole run.
        if request.prepareOnly == true { return .prepared(id) }
        let verify = !verified.contains(request.problemKey)
        do {
            let result = try runner.run(verify: verify, bench: true, repeats: request.repeats)
            if verify {
                guard result.verified == true else {
                    return .failed(id, stage: "verify", "max |err| \(result.maxAbsError ?? .nan) against the other CPU path")
                }
                verified.insert(request.problemKey)
            }
            return TrialResult(id: id, milliseconds: result.milliseconds, detail: result.detail)
        } catch {
            return .failed(id, stage: "time", "\(error)")
        }
    }
}
