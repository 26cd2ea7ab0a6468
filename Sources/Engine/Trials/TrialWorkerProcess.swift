import FoundationEssentials

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parent's side of the trial worker: a child process (`q3d tune-worker`) that runs one trial per
/// JSON line and answers with one JSON line.
///
/// GPU trials run in a child because a kernel that faults (an illegal address) ends the CUDA context
/// for good, and one that hangs never returns: either would end a tuning session run in-process. Here
/// such a trial fails with its reason (`worker`: the child died, with its exit status or signal and
/// the end of its standard error; `timeout`: no answer within the time limit, and the child was
/// killed), and the next trial starts a new child.
///
/// ```swift
/// let worker = TrialWorkerProcess(command: [q3dPath, "tune-worker", "--device", "cuda"], timeLimit: 10)
/// let result = worker.run(request)      // never throws: a failure is a result
/// ```
///
/// Writing to a child that has died must not kill the parent, so starting a worker ignores SIGPIPE for
/// the whole process (q3d writes to no other pipe that could close early).
public final class TrialWorkerProcess {
    /// The program and its arguments.
    public let command: [String]
    /// Seconds a trial may take once its problem is prepared.
    public var timeLimit: Double
    /// Seconds a process may take to prepare a problem (operands and the CPU reference) before its
    /// first trial.
    public var setupTimeLimit: Double
    /// Processes started so far (1 + restarts).
    public private(set) var started = 0

    private var pid: pid_t = 0
    private var toWorker: Int32 = -1
    private var fromWorker: Int32 = -1
    private var workerErrors: Int32 = -1
    private var pending: [UInt8] = []
    private var errorTail: [UInt8] = []
    private var prepared: Set<String> = []

    public init(command: [String], timeLimit: Double = 10, setupTimeLimit: Double = 120) {
        self.command = command
        self.timeLimit = timeLimit
        self.setupTimeLimit = setupTimeLimit
    }

    deinit { stop() }

    /// Whether a child is running now.
    public var isRunning: Bool { pid != 0 }

    /// Runs one trial in the child, starting one first when none runs.
    ///
    /// The first trial of a problem in a process is preceded by a prepare request (operands and the
    /// CPU reference) under ``setupTimeLimit``, so that the trial itself runs under ``timeLimit``.
    public func run(_ request: TrialRequest) -> TrialResult {
        let id = request.id
        if pid == 0 {
            do { try start() } catch { return .failed(id, stage: "worker", "cannot start the worker: \(error)") }
        }
        if !prepared.contains(request.problemKey) {
            var prepare = request
            prepare.prepareOnly = true
            prepare.debug = nil
            let answer = exchange(prepare, limit: setupTimeLimit)
            guard answer.error == nil else {
                var failed = answer
                failed.id = id
                failed.error = "preparing the problem: " + (answer.error ?? "")
                return failed
            }
            prepared.insert(request.problemKey)
        }
        return exchange(request, limit: timeLimit)
    }

    /// Sends one request and waits at most `limit` seconds for its answer.
    private func exchange(_ request: TrialRequest, limit: Double) -> TrialResult {
        let id = request.id
        if pid == 0 {
            do { try start() } catch { return .failed(id, stage: "worker", "cannot start the worker: \(error)") }
        }
        let line: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            line = String(decoding: try encoder.encode(request), as: UTF8.self) + "\n"
        } catch {
            return .failed(id, stage: "request", "cannot encode the request: \(error)")
        }
        guard writeAll(line) else {
            return .failed(id, stage: "worker", "the worker \(reap()) before the request reached it" + stderrSummary())
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(limit * 1000))
        while true {
            if let answer = takeLine() {
                guard let result = try? JSONDecoder().decode(TrialResult.self, from: Data(answer)) else {
                    let text = String(decoding: answer.prefix(200), as: UTF8.self)
                    kill(pid, SIGKILL)
                    _ = reap()
                    return .failed(id, stage: "worker", "unreadable answer from the worker: \(text)")
                }
                guard result.id == id else { continue }
                if result.workerExits == true { stop() }
                return result
            }
            let remaining = deadline - clock.now
            guard remaining > .zero else {
                kill(pid, SIGKILL)
                _ = reap()
                return .failed(
                    id, stage: "timeout",
                    "no answer within \(Self.seconds(limit)) s; the worker was killed (a new one runs the next trial)")
            }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var fds = [pollfd(fd: fromWorker, events: Int16(POLLIN), revents: 0)]
            if workerErrors >= 0 { fds.append(pollfd(fd: workerErrors, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0 && errno != EINTR {
                kill(pid, SIGKILL)
                _ = reap()
                return .failed(id, stage: "worker", "poll failed: \(String(cString: strerror(errno)))")
            }
            if fds.count > 1 && fds[1].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = chunk.withUnsafeMutableBytes { read(workerErrors, $0.baseAddress, $0.count) }
                if n > 0 {
                    errorTail.append(contentsOf: chunk[0..<n])
                    if errorTail.count > 4096 { errorTail.removeFirst(errorTail.count - 4096) }
                } else {
                    close(workerErrors)
                    workerErrors = -1
                }
            }
            if fds[0].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 65536)
                let n = chunk.withUnsafeMutableBytes { read(fromWorker, $0.baseAddress, $0.count) }
                if n > 0 {
                    pending.append(contentsOf: chunk[0..<n])
                } else if n == 0 || errno != EINTR {
                    drainErrors()
                    let status = reap()
                    return .failed(id, stage: "worker", "the worker \(status) during the trial" + stderrSummary())
                }
            }
        }
    }

    /// Ends the child: closes its input (a worker exits at end of input), waits a moment, then kills it.
    public func stop() {
        guard pid != 0 else { return }
        close(toWorker)
        toWorker = -1
        for _ in 0..<50 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                break
            }
            usleep(10_000)
        }
        if pid != 0 {
            kill(pid, SIGKILL)
            _ = reap()
        }
        closeAll()
    }

    private func start() throws {
        guard let program = command.first else { throw EngineError.invalidInput("empty worker command") }
        signal(SIGPIPE, SIG_IGN)
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else {
            throw EngineError.invalidInput("cannot create pipes: \(String(cString: strerror(errno)))")
        }
        // No other child (a later worker) may inherit these ends: the worker would never see end of input.
        for fd in input + output + errors { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, program, &actions, nil, &argv, environ)
        close(input[0])
        close(output[1])
        close(errors[1])
        guard spawned == 0 else {
            close(input[1])
            close(output[0])
            close(errors[0])
            throw EngineError.invalidInput("\(program): \(String(cString: strerror(spawned)))")
        }
        pid = child
        toWorker = input[1]
        fromWorker = output[0]
        workerErrors = errors[0]
        pending = []
        errorTail = []
        prepared = []
        started += 1
    }

    private func writeAll(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(toWorker, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    private func takeLine() -> [UInt8]? {
        guard let newline = pending.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = Array(pending[..<newline])
        pending.removeSubrange(...newline)
        return line
    }

    /// Reads what the dead child left on its standard error.
    private func drainErrors() {
        guard workerErrors >= 0 else { return }
        _ = fcntl(workerErrors, F_SETFL, O_NONBLOCK)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(workerErrors, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            errorTail.append(contentsOf: chunk[0..<n])
        }
        if errorTail.count > 4096 { errorTail.removeFirst(errorTail.count - 4096) }
    }

    /// Waits for the child; returns how it ended ("exited with status 3", "was killed by signal 6 (SIGABRT)").
    private func reap() -> String {
        guard pid != 0 else { return "is not running" }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
        closeAll()
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        return "was killed by signal \(signal)" + (Self.signalNames[signal].map { " (\($0))" } ?? "")
    }

    private func closeAll() {
        for fd in [toWorker, fromWorker, workerErrors] where fd >= 0 { close(fd) }
        toWorker = -1
        fromWorker = -1
        workerErrors = -1
    }

    /// The last lines the child wrote to standard error, for the failure's message.
    private func stderrSummary() -> String {
        let lines = String(decoding: errorTail, as: UTF8.self).split(separator: "\n").suffix(3)
        let text = lines.joined(separator: " | ")
        return text.isEmpty ? "" : "; its last words: " + String(text.suffix(400))
    }

    private static let signalNames: [Int32: String] = [
        SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGKILL: "SIGKILL", SIGBUS: "SIGBUS", SIGILL: "SIGILL",
        SIGTERM: "SIGTERM", SIGFPE: "SIGFPE", SIGTRAP: "SIGTRAP",
    ]

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))" : "\((value * 100).rounded() / 100)"
    }
}
