import CPUKernels
import CUDARuntime
import ConvGeometry
import Engine
import Kernels

/// GPU trials of one template on one workload through the worker process: configs in, measured times
/// (or failures) out, with a progress callback per trial.
final class WorkerTrials {
    let impl: String
    let request: Conv3DRequest
    let space: ConfigSpace
    let measurer: TrialBatchMeasurer
    let repeats: Int
    let warmup: Int
    private var nextID = 0

    init(impl: String, request: Conv3DRequest, space: ConfigSpace, measurer: TrialBatchMeasurer, repeats: Int, warmup: Int) {
        self.impl = impl
        self.request = request
        self.space = space
        self.measurer = measurer
        self.repeats = repeats
        self.warmup = warmup
    }

    /// The config at `point` as JSON (what the log and `--config` hold).
    func configJSON(_ point: ConfigPoint) throws -> String {
        try KernelCatalog.configJSON(impl: impl, space: space, point: point)
    }

    /// Measures each point, calling `progress` with the point's index and its result as each trial ends
    /// (so the caller can log it at once); a config that cannot be written out fails at stage `request`.
    /// `debug` gives the debug request, if any, of the point at each index (recovery tests).
    func measure(
        _ points: [ConfigPoint], debug: (Int) -> TrialDebug? = { _ in nil }, progress: (Int, TrialResult) -> Void
    ) {
        var requests: [TrialRequest] = []
        var positions: [Int] = []
        for (i, point) in points.enumerated() {
            nextID += 1
            do {
                requests.append(
                    TrialRequest(
                        id: nextID, workload: TrialWorkload(request.parameters), dtype: request.dtype,
                        output: request.outputName, impl: impl, config: try configJSON(point),
                        repeats: repeats, warmup: warmup, seed: request.seed, debug: debug(i)))
                positions.append(i)
            } catch {
                progress(i, .failed(nextID, stage: "request", "\(error)"))
            }
        }
        _ = measurer.measure(requests) { done, result in progress(positions[done - 1], result) }
    }
}
