import ConvGeometry
import CUDARuntime
import Dispatch
import Kernels
import Synchronization
import Tensors

/// The GPU check of the imma templates in one call: for each workload and template (`mma.sync`, and
/// `wgmma` on an sm_90a device), the default configuration and `randomConfigs` configurations drawn
/// uniformly from its space on the device, each compiled (in parallel), verified exactly against the CPU
/// and, when it passes, timed.
///
/// ```swift
/// let runner = ImmaConv3DRunner(context: try CUDAContext(ordinal: 0))
/// let rows = try ImmaConv3DBenchmark.run(workloads: AnchorLayers.all(), options: .init(randomConfigs: 20), runner: runner) { row in
///     print(row.summary)          // the CLI prints; the library does not
/// }
/// ```
///
/// A configuration that fails to compile, launch or verify is a row with that outcome, not an error:
/// the call throws only when a workload cannot be set up at all (no space, CPU reference, upload).
public enum ImmaConv3DBenchmark {
    public struct Options: Sendable {
        /// Configurations drawn per workload and template besides the default.
        public var randomConfigs: Int
        /// The templates to run; `wgmma` is left out on devices without sm_90a.
        public var templates: [ImmaKernelChoice.Template]
        /// Seeds the data (per workload: seed + workload index) and the sampling.
        public var seed: UInt64
        /// int32 output, or the int8 epilogue with or without ReLU and residual.
        public var output: OutputKind
        public var warmup: Int
        public var repeats: Int

        public init(
            randomConfigs: Int = 20, templates: [ImmaKernelChoice.Template] = ImmaKernelChoice.Template.allCases,
            seed: UInt64 = 1, output: OutputKind = .int8(relu: true, residual: false), warmup: Int = 10, repeats: Int = 50
        ) {
            self.randomConfigs = randomConfigs
            self.templates = templates
            self.seed = seed
            self.output = output
            self.warmup = warmup
            self.repeats = repeats
        }
    }

    /// What happened to one configuration.
    public enum Outcome: Sendable {
        /// Verified exactly, then timed.
        case passed(KernelTiming)
        /// Ran, but the output differs from the CPU's.
        case wrong(ImmaConv3DVerification)
        /// Did not render, compile, load or launch; the message says which and why.
        case failed(String)
    }

    public struct Row: Sendable {
        public var workload: String
        public var config: ImmaKernelChoice
        public var isDefault: Bool
        public var kernelName: String?
        /// From ptxas; nil when the kernel did not compile.
        public var registers: Int?
        public var spillBytes: Int?
        public var sharedBytes: Int?
        public var compileSeconds: Double
        public var outcome: Outcome
        /// 2·N·K·Do·Ho·Wo·C·kd·kh·kw, for TOPS.
        public var flops: Int

        /// The median time in milliseconds, for passed rows.
        public var medianMilliseconds: Double? {
            if case .passed(let timing) = outcome { return timing.median }
            return nil
        }

        /// Tera-operations per second at the median time.
        public var tops: Double? { medianMilliseconds.map { Double(flops) / ($0 * 1e-3) / 1e12 } }

        public var summary: String {
            let head = "\(workload) \(isDefault ? "default" : "random ") [\(config)] regs \(registers.map(String.init) ?? "-") spill \(spillBytes.map(String.init) ?? "-")"
            switch outcome {
            case .passed(let timing):
                let tops = self.tops.map { String(Int($0.rounded())) } ?? "-"
                return "\(head): passed, median \(timing.median) ms, \(tops) TOPS"
            case .wrong(let verification): return "\(head): WRONG \(verification.summary)"
            case .failed(let message): return "\(head): FAILED \(message)"
            }
        }
    }

    /// What the GPU check runs: the nine anchor layers and an odd workload — C = 24, K = 40, 9x9x9,
    /// 3x3x3 kernel, dilation 2, pads (front, top, left, back, bottom, right) = (0, 1, 1, 2, 2, 1).
    public static func verificationWorkloads() throws(EngineError) -> [NamedConv3D] {
        do {
            let odd = try Conv3DParameters(
                batch: 1, inputChannels: 24, outputChannels: 40, input: Extent3(9, 9, 9), kernel: Extent3(uniform: 3),
                dilation: Extent3(uniform: 2),
                padding: .explicit(Padding3D(front: 0, top: 1, left: 1, back: 2, bottom: 2, right: 1)))
            return AnchorLayers.all() + [NamedConv3D("odd", odd)]
        } catch {
            throw .invalidInput("the odd workload: \(error)")
        }
    }

    /// Runs every workload in turn; `progress` gets each row as it is finished.
    public static func run(
        workloads: [NamedConv3D], options: Options = Options(), runner: ImmaConv3DRunner,
        progress: ((Row) -> Void)? = nil
    ) throws(EngineError) -> [Row] {
        var rows: [Row] = []
        for (index, layer) in workloads.enumerated() {
            rows += try run(layer, seed: options.seed &+ UInt64(index), options: options, runner: runner, progress: progress)
        }
        return rows
    }

    static func run(
        _ layer: NamedConv3D, seed: UInt64, options: Options, runner: ImmaConv3DRunner, progress: ((Row) -> Void)?
    ) throws(EngineError) -> [Row] {
        let workload = layer.parameters
        let arch = runner.architecture
        var chosen: [(ImmaKernelChoice, Bool)] = []
        do throws(KernelsError) {
            var rng = SeededGenerator(seed: seed)
            for template in options.templates {
                if template == .wgmma, !(arch.archSpecific && arch.computeCapability == 90) { continue }
                let defaultConfig = try ImmaKernelChoice.defaultConfig(template, for: workload, on: arch)
                let sampled = try ImmaKernelChoice.sample(template, count: options.randomConfigs + 1, for: workload, on: arch, using: &rng)
                chosen.append((defaultConfig, true))
                chosen += sampled.filter { $0 != defaultConfig }.prefix(options.randomConfigs).map { ($0, false) }
            }
        } catch {
            throw .kernels(error)
        }
        let configs = chosen
        let relu: Bool, residual: Bool
        switch options.output {
        case .int32: (relu, residual) = (false, false)
        case let .int8(r, s): (relu, residual) = (r, s)
        }
        let problem = try ImmaConv3DProblem.random(workload, seed: seed, relu: relu, residual: residual)
        let expected = try problem.expected()
        let operands = try runner.upload(problem)

        // Compile every configuration in parallel; a failure stays with its configuration.
        let compiled = Mutex<[Int: (Result<(KernelSource, CompiledKernel), EngineError>, Double)]>([:])
        let deviceArch = runner.context.device.arch
        let cache = runner.cache
        let output = options.output
        DispatchQueue.concurrentPerform(iterations: configs.count) { i in
            let clock = ContinuousClock()
            let start = clock.now
            let result: Result<(KernelSource, CompiledKernel), EngineError>
            do throws(EngineError) {
                let (source, kernel) = try ImmaConv3DRunner.compile(
                    workload: workload, kernel: configs[i].0, output: output, arch: deviceArch, cache: cache)
                result = .success((source, kernel))
            } catch {
                result = .failure(error)
            }
            let seconds = Self.seconds(clock.now - start)
            compiled.withLock { $0[i] = (result, seconds) }
        }

        var rows: [Row] = []
        for (i, (config, isDefault)) in configs.enumerated() {
            var row = Row(
                workload: layer.name, config: config, isDefault: isDefault, compileSeconds: 0,
                outcome: .failed("not compiled"), flops: workload.flops)
            guard let (result, seconds) = compiled.withLock({ $0[i] }) else { continue }
            row.compileSeconds = seconds
            switch result {
            case .failure(let error):
                row.outcome = .failed("compile: \(error)")
            case .success(let (source, kernel)):
                row.kernelName = source.name
                row.registers = kernel.registers
                row.spillBytes = kernel.spillBytes
                row.sharedBytes = source.dynamicSharedBytes
                do {
                    let loaded = try runner.load(source, compiled: kernel)
                    let launch = try runner.prepare(loaded, operands: operands)
                    let verification = try runner.verify(launch, expected: expected)
                    if verification.passed {
                        row.outcome = .passed(try runner.time(launch, warmup: options.warmup, repeats: options.repeats))
                    } else {
                        row.outcome = .wrong(verification)
                    }
                } catch {
                    row.outcome = .failed("run: \(error)")
                }
            }
            progress?(row)
            rows.append(row)
        }
        return rows
    }

    static func seconds(_ duration: Duration) -> Double {
        let (s, attoseconds) = duration.components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
