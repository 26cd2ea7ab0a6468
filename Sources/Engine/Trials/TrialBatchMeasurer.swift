import CUDARuntime
import Kernels

/// Measures batches of trials in a worker process: for GPU trials, every kernel of the batch is first
/// compiled in parallel on the CPU (a kernel that does not compile fails its trial there), then the
/// worker verifies and times them one at a time.
///
/// ```swift
/// let worker = TrialWorkerProcess(command: [q3d, "tune-worker", "--device", "cuda"], timeLimit: 10)
/// let measurer = TrialBatchMeasurer(worker: worker, arch: arch)
/// let results = measurer.measure(requests) { done, result in ... }
/// ```
public final class TrialBatchMeasurer {
    public let worker: TrialWorkerProcess
    /// The GPU's architecture; nil for a CPU worker, whose trials need no compilation.
    public let arch: GPUArchitecture?
    /// Where compiled kernels go on disk (the worker's cache must be the same directory).
    public let cache: ModuleCache
    public let compileThreads: Int

    public init(worker: TrialWorkerProcess, arch: GPUArchitecture?, cache: ModuleCache = ModuleCache(), compileThreads: Int = 1) {
        self.worker = worker
        self.arch = arch
        self.cache = cache
        self.compileThreads = max(1, compileThreads)
    }

    /// One result per request, in order; `progress` is called after each with the count done so far.
    public func measure(_ requests: [TrialRequest], progress: (Int, TrialResult) -> Void = { _, _ in }) -> [TrialResult] {
        var compileErrors: [String?] = Array(repeating: nil, count: requests.count)
        if let arch {
            // A cache per batch: the worker reads the kernels from disk, and the parent does not keep
            // every CUBIN of a long session in memory.
            compileErrors = TrialPrecompile.compile(
                requests, arch: arch, cache: ModuleCache(directory: cache.directory), threads: compileThreads)
        }
        var results: [TrialResult] = []
        for (i, (request, compileError)) in zip(requests, compileErrors).enumerated() {
            let result = compileError.map { TrialResult.failed(request.id, stage: "compile", $0) } ?? worker.run(request)
            results.append(result)
            progress(i + 1, result)
        }
        return results
    }
}
