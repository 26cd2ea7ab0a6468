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

    /// Measures each point; a config that cannot be written out fails its trial at stage `request`.
    /// `debug` gives the debug request, if any, of the point at each index (recovery tests).
    func measure(
        _ points: [ConfigPoint], debug: (Int) -> TrialDebug? = { _ in nil }, progress: (TrialResult) -> Void
    ) -> [TrialResult] {
        var requests: [TrialRequest] = []
        var results: [Int: TrialResult] = [:]
        for (i, point) in points.enumerated() {
            nextID += 1
            do {
                requests.append(
                    TrialRequest(
                        id: nextID, workload: TrialWorkload(request.parameters), dtype: request.dtype,
                        output: request.outputName, impl: impl, config: try configJSON(point),
                        repeats: repeats, warmup: warmup, seed: request.seed, debug: debug(i)))
            } catch {
                results[i] = .failed(nextID, stage: "request", "\(error)")
            }
        }
        var measured = measurer.measure(requests) { _, result in progress(result) }.makeIterator()
        return points.indices.map { i in
            if let failed = results[i] {
                progress(failed)
                return failed
            }
            return measured.next() ?? .failed(-1, stage: "worker", "no result")
        }
    }
}
