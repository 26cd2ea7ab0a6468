import CUDARuntime
import Kernels

/// Compiles the kernels of a batch of GPU trials on every core before they are measured one by one:
/// NVRTC needs no GPU, and the worker finds each kernel in the on-disk module cache instead of
/// compiling it while the GPU waits.
public enum TrialPrecompile {
    /// The compile error of each request (nil where its kernel compiled), in order. A config the
    /// template rejects is a compile error too: the trial fails without reaching the worker.
    public static func compile(
        _ requests: [TrialRequest], arch: GPUArchitecture, cache: ModuleCache, threads: Int,
        progress: @Sendable (Int) -> Void = { _ in }
    ) -> [String?] {
        var errors: [String?] = Array(repeating: nil, count: requests.count)
        var selections: [KernelSelection] = []
        var positions: [Int] = []
        for (i, request) in requests.enumerated() {
            do {
                let conv = try request.convRequest()
                selections.append(
                    try KernelCatalog.select(
                        impl: request.impl, workload: conv.parameters, arch: arch,
                        output: conv.outputKind, config: request.config,
                        configIndex: nil, configSource: "trial"))
                positions.append(i)
            } catch {
                errors[i] = "\(error)"
            }
        }
        let compiled = KernelSweep.compile(
            selections, arch: arch.nvrtcArchitecture, cache: cache, threads: threads, progress: progress)
        for (position, result) in zip(positions, compiled) {
            if case .failure(let error) = result { errors[position] = "\(error)" }
        }
        return errors
    }
}
