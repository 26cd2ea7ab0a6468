import CUDARuntime
import ConvGeometry
import Dispatch
import Kernels
import Synchronization
import Tensors

/// Many configs of one template on one workload: compiled in parallel on the CPU, then (on a GPU)
/// verified and optionally timed one by one. A config that fails to compile, launch or verify is a
/// failed row with its error, never an abort: `q3d compile`, `q3d verify` and `q3d bench` are built
/// on it.
public enum KernelSweep {
    /// What happened to one config.
    public enum Outcome: Sendable {
        case compiled
        case passed(milliseconds: Double?, spread: ClosedRange<Double>?)
        case mismatched(mismatches: Int, unwritten: Int, maxAbsError: Double)
        case failed(stage: String, message: String)

        public var isFailure: Bool {
            switch self {
            case .compiled, .passed: false
            case .mismatched, .failed: true
            }
        }
    }

    public struct Row: Sendable {
        public var workload: String
        public var configJSON: String
        public var configSource: String
        public var kernelName: String
        public var registers: Int?
        public var spillBytes: Int?
        public var outcome: Outcome
    }

    /// The configs to sweep: the default first, then `count` distinct valid configs drawn uniformly
    /// with `seed` (fewer when the space is smaller).
    public static func selections(
        impl: String, workload: Conv3DParameters, arch: GPUArchitecture, output: OutputKind, count: Int,
        seed: UInt64, includeDefault: Bool = true
    ) throws -> [KernelSelection] {
        let space = try KernelCatalog.space(impl: impl, workload: workload, arch: arch)
        var points: [(ConfigPoint, String)] = []
        if includeDefault {
            points.append((try KernelCatalog.defaultPoint(impl: impl, workload: workload, arch: arch, space: space), "default"))
        }
        var rng = SeededGenerator(seed: seed)
        for (i, point) in space.sample(count: count, using: &rng).enumerated() {
            points.append((point, "sample \(i) (seed \(seed))"))
        }
        return try points.map { point, origin in
            try KernelCatalog.render(
                impl: impl, workload: workload, space: space, point: point, output: output, configSource: origin)
        }
    }

    /// Compiles every selection for `arch` on all cores; returns each result or its error, in order.
    public static func compile(
        _ selections: [KernelSelection], arch: String, cache: ModuleCache?, threads: Int,
        progress: @Sendable (Int) -> Void = { _ in }
    ) -> [Result<CompiledKernel, CUDAError>] {
        let results = ResultBox(count: selections.count)
        let next = ResultBox.Counter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, selections.count))) { _ in
            while let i = next.take(below: selections.count) {
                let s = selections[i].source
                let r: Result<CompiledKernel, CUDAError>
                do throws(CUDAError) {
                    if let cache {
                        r = .success(try cache.kernel(source: s.text, name: s.name, arch: arch, options: LoadedConvKernel.compileOptions))
                    } else {
                        r = .success(try NVRTC.compile(source: s.text, name: s.name, arch: arch, options: LoadedConvKernel.compileOptions))
                    }
                } catch {
                    r = .failure(error)
                }
                results.set(i, r)
                progress(next.finished())
            }
        }
        return results.values
    }

    /// Verifies (and, with `repeats > 0`, times) each compiled selection on the device of `check`.
    public static func run(
        workload: String, selections: [KernelSelection], compiled: [Result<CompiledKernel, CUDAError>],
        check: KernelCheck, verify: Bool, repeats: Int, progress: (Int, Row) -> Void = { _, _ in }
    ) -> [Row] {
        var rows: [Row] = []
        for (i, (selection, result)) in zip(selections, compiled).enumerated() {
            var row = Row(
                workload: workload, configJSON: selection.configJSON, configSource: selection.configSource,
                kernelName: selection.source.name, outcome: .compiled)
            switch result {
            case .failure(let error):
                row.outcome = .failed(stage: "compile", message: "\(error)")
            case .success(let kernel):
                row.registers = kernel.registers
                row.spillBytes = kernel.spillBytes
                row.outcome = measure(selection, kernel, check: check, verify: verify, repeats: repeats)
            }
            rows.append(row)
            progress(i + 1, row)
        }
        return rows
    }

    static func measure(
        _ selection: KernelSelection, _ compiled: CompiledKernel, check: KernelCheck, verify: Bool, repeats: Int
    ) -> Outcome {
        let loaded: LoadedConvKernel
        do {
            loaded = try LoadedConvKernel(selection.source, compiled: compiled, context: check.operands.context)
        } catch {
            return .failed(stage: "load", message: "\(error)")
        }
        if verify {
            do {
                let r = try check.verify(loaded)
                if !r.passed {
                    return .mismatched(mismatches: r.mismatches, unwritten: r.unwritten, maxAbsError: r.errors.maxAbs)
                }
            } catch {
                return .failed(stage: "verify", message: "\(error)")
            }
        }
        guard repeats > 0 else { return .passed(milliseconds: nil, spread: nil) }
        do {
            let times = try check.time(loaded, repeats: repeats)
            return .passed(milliseconds: Timing.median(times), spread: (times.min() ?? 0)...(times.max() ?? 0))
        } catch {
            return .failed(stage: "time", message: "\(error)")
        }
    }
}

/// Results written by several threads, each to its own index.
final class ResultBox: Sendable {
    private let storage: Mutex<[Result<CompiledKernel, CUDAError>?]>

    init(count: Int) { storage = Mutex(Array(repeating: nil, count: count)) }

    func set(_ i: Int, _ value: Result<CompiledKernel, CUDAError>) {
        storage.withLock { $0[i] = value }
    }

    var values: [Result<CompiledKernel, CUDAError>] {
        storage.withLock { $0.map { $0 ?? .failure(.invalidArgument("not compiled")) } }
    }

    /// Hands out indices to worker threads and counts finished ones.
    final class Counter: Sendable {
        private let state = Mutex((next: 0, done: 0))

        func take(below limit: Int) -> Int? {
            state.withLock { s in
                guard s.next < limit else { return nil }
                defer { s.next += 1 }
                return s.next
            }
        }

        func finished() -> Int { state.withLock { s in s.done += 1; return s.done } }
    }
}
