import ArgumentParser
import Engine
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `q3d tune-worker` (hidden): the process `q3d tune` runs its trials in. It reads one
/// ``TrialRequest`` per line on standard input and writes one ``TrialResult`` per line on standard
/// output, until its input ends. A kernel that faults or hangs takes only this process down; the
/// parent records the trial as failed and starts another.
struct TuneWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune-worker", abstract: "Run tuning trials read as JSON lines (started by q3d tune).",
        shouldDisplay: false)

    @Option(help: "cuda: GPU templates; cpu: the CPU implementations; simulated: pseudo-times (both stand-ins for tests).")
    var device: String = "cuda"

    @Option(help: "cpu: threads of the fast path.")
    var threads: Int?

    func run() throws {
        var executor: (any TrialExecutor)?
        var unusable: String?
        switch device {
        case "cpu": executor = CPUTrialExecutor(threads: threads)
        case "simulated": executor = SimulatedTrialExecutor()
        case "cuda":
            // Without a usable GPU every trial fails with the reason, rather than the process dying and
            // being restarted for each one.
            do { executor = try CUDATrialExecutor() } catch { unusable = "\(error)" }
        default: throw ValidationError("--device \(device); expected cpu, cuda or simulated")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        while let line = readLine() {
            guard !line.isEmpty else { continue }
            var result: TrialResult
            do {
                let request = try JSONDecoder().decode(TrialRequest.self, from: Data(line.utf8))
                if let debug = request.debug, let gpu = executor as? CUDATrialExecutor, debug == .fault || debug == .spin {
                    result = gpu.misbehave(request.id, spin: debug == .spin)
                } else if let debug = request.debug {
                    Self.misbehave(debug)
                    result = .failed(request.id, stage: "worker", "debug request \(debug) did nothing")
                } else if var current = executor {
                    result = current.run(request)
                    executor = current
                } else {
                    result = .failed(request.id, stage: "worker", unusable ?? "no trial executor")
                }
            } catch {
                result = .failed(-1, stage: "request", "not a trial request: \(error)")
            }
            let exiting = executor?.mustExit ?? false
            if exiting { result.workerExits = true }
            var text = String(decoding: try encoder.encode(result), as: UTF8.self) + "\n"
            text.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = write(1, bytes.baseAddress! + offset, bytes.count - offset)
                    if n <= 0 { return }
                    offset += n
                }
            }
            if exiting { return }
        }
    }

    static func misbehave(_ debug: TrialDebug) {
        switch debug {
        case .exit:
            Terminal.note("tune-worker: exiting on request (debug)")
            Glibc.exit(3)
        case .abort:
            abort()
        case .hang, .spin:
            while true { sleep(3600) }
        case .fault:
            // The default action, not a backtrace handler that might return.
            signal(SIGSEGV, SIG_DFL)
            raise(SIGSEGV)
        }
    }
}
