import ArgumentParser
import CPUKernels
import CUDARuntime
import ConvGeometry
import Engine
import Kernels

#if canImport(Glibc)
    import Glibc
#endif

/// `q3d compile`: render configs of a GPU template and compile them with NVRTC — no GPU needed.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile configs of a GPU kernel template with NVRTC (no GPU needed); or print one's source.")

    @OptionGroup var conv: ConvOptions

    @Option(help: "Template: \(KernelCatalog.names.joined(separator: ", ")).")
    var impl: String = "dp4a"

    @Option(help: "Target architecture: sm_61, sm_75, sm_80, sm_86, sm_89, sm_90, sm_90a.")
    var arch: String = "sm_90"

    @Option(help: "How many valid configs to draw uniformly (the default config is always added).")
    var samples: Int = 20

    @Flag(help: "Compile every valid config (can be very many).")
    var all = false

    @Option(help: "Output: int32 accumulators, or int8 through the fused epilogue.")
    var out: OutputChoice = .int32

    @Option(help: "Seed of the uniform sample.")
    var seed: UInt64 = 1

    @Flag(help: "Print the CUDA source of the default config (or --config-index) instead of compiling.")
    var emit = false

    @Option(help: "With --emit or --cubin: the valid config of this rank.")
    var configIndex: Int?

    @Option(help: "With --emit or --cubin: this config (JSON, as `q3d conv3d --json` and tuning logs print it).")
    var config: String?

    @Option(help: "Compile the default config (or --config / --config-index) and write its CUBIN here, for nvdisasm.")
    var cubin: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Failure: Encodable {
        let config: String
        let log: String
    }

    struct Report: Encodable {
        let impl, arch: String
        let workload: String
        let spaceRaw: Int
        let spaceValid: Int
        let configs, compiled, failed: Int
        let seconds: Double
        let maxRegisters: Int?
        let spilling: Int
        let failures: [Failure]

        enum CodingKeys: String, CodingKey {
            case impl, arch, workload, configs, compiled, failed, seconds, spilling, failures
            case spaceRaw = "space_raw", spaceValid = "space_valid", maxRegisters = "max_registers"
        }
    }

    func run() throws {
        let (name, p) = try conv.parameters()
        guard let target = GPUArchitecture.preset(named: arch) else {
            throw ValidationError(
                "--arch \(arch) is not known; expected one of \(GPUArchitecture.presets.map(\.nvrtcArchitecture).joined(separator: ", "))")
        }
        let output = out.kind
        if emit || cubin != nil {
            let selection = try KernelCatalog.select(
                impl: impl, workload: p, arch: target, output: output, config: config, configIndex: configIndex)
            guard let cubin else {
                print(selection.source.text)
                return
            }
            let kernel = try NVRTC.compile(
                source: selection.source.text, name: selection.source.name, arch: target.nvrtcArchitecture,
                options: LoadedConvKernel.compileOptions)
            try writeFile(kernel.cubin, to: cubin)
            print("\(selection.source.name) for \(kernel.arch) (NVRTC \(kernel.nvrtcVersion)): "
                + "\(kernel.registers.map(String.init) ?? "?") registers, \(kernel.spillBytes ?? 0) spill bytes, "
                + "\(selection.source.dynamicSharedBytes) bytes of dynamic shared memory; CUBIN \(kernel.cubin.count) bytes in \(cubin)")
            print("  config (\(selection.configSource)): \(selection.configJSON)")
            return
        }
        guard samples >= 0 else { throw ValidationError("--samples is \(samples); expected 0 or more") }
        let space = try KernelCatalog.space(impl: impl, workload: p, arch: target)
        let valid = space.validCount()
        let selections = try KernelSweep.selections(
            impl: impl, workload: p, arch: target, output: output, count: all ? valid : samples, seed: seed,
            includeDefault: !all)
        let clock = ContinuousClock()
        let start = clock.now
        let total = selections.count
        let quiet = json
        let results = KernelSweep.compile(
            selections, arch: target.nvrtcArchitecture, cache: nil, threads: CPUFeatures.current.activeCores
        ) { done in
            if !quiet { Terminal.progress(Terminal.bar(done, total, label: "compiled"), done: done == total) }
        }
        let elapsed = clock.now - start
        var failures: [Failure] = []
        var registers: [Int] = []
        var spilling = 0
        for (selection, result) in zip(selections, results) {
            switch result {
            case .success(let k):
                if let r = k.registers { registers.append(r) }
                if let s = k.spillBytes, s > 0 { spilling += 1 }
            case .failure(let error):
                failures.append(Failure(config: selection.configJSON, log: "\(error)"))
            }
        }
        let report = Report(
            impl: impl, arch: target.nvrtcArchitecture, workload: name ?? p.description, spaceRaw: space.rawSize,
            spaceValid: valid, configs: total, compiled: total - failures.count, failed: failures.count,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            maxRegisters: registers.max(), spilling: spilling, failures: failures)
        if json {
            print(try JSONText.encode(report))
        } else {
            print("\(impl) for \(report.arch), \(report.workload)")
            print("  space: \(valid) valid configs of \(space.rawSize) in the product of its knobs")
            print("  compiled \(report.compiled)/\(total) in \(Format.fixed(report.seconds, 1)) s; "
                + "max \(registers.max() ?? 0) registers; \(spilling) spill")
            for f in failures.prefix(5) { print("  FAILED \(f.config)\n\(f.log)") }
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}

/// Writes `bytes` to `path`, replacing it.
func writeFile(_ bytes: [UInt8], to path: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else {
        throw ValidationErrorText("cannot open \(path) for writing: \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count else {
        throw ValidationErrorText("cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
