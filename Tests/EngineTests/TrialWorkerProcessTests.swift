import ConvGeometry
import XCTest

@testable import Engine

#if canImport(Glibc)
import Glibc
#endif

/// The parent's handling of a worker that answers, dies or hangs, through the real `q3d tune-worker`
/// in its CPU mode (built next to this test bundle) with debug requests standing in for faulting and
/// hanging kernels.
final class TrialWorkerProcessTests: XCTestCase {
    func q3dPath() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw XCTSkip("cannot read /proc/self/exe") }
        let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let path = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/q3d"
        guard access(path, X_OK) == 0 else { throw XCTSkip("no q3d executable at \(path); run `swift build --product q3d` first") }
        return path
    }

    func request(_ id: Int, debug: TrialDebug? = nil, impl: String = "fast") throws -> TrialRequest {
        let p = try Conv3DParameters(
            batch: 1, inputChannels: 8, outputChannels: 16, input: Extent3(4, 8, 8), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))
        return TrialRequest(id: id, workload: TrialWorkload(p), impl: impl, config: nil, repeats: 2, warmup: 1, debug: debug)
    }

    func testWorkloadRoundTripsThroughJSON() throws {
        let p = try Conv3DParameters(
            batch: 2, inputChannels: 6, outputChannels: 4, input: Extent3(5, 7, 9), kernel: Extent3(1, 3, 2),
            stride: Extent3(1, 2, 1), dilation: Extent3(2, 1, 1),
            padding: .explicit(Padding3D(front: 0, top: 1, left: 0, back: 1, bottom: 0, right: 1)), groups: 2)
        let json = try JSONEncoder().encode(TrialWorkload(p))
        XCTAssertEqual(try JSONDecoder().decode(TrialWorkload.self, from: json).parameters(), p)
        var bad = TrialWorkload(p)
        bad.stride = [1, 2]
        XCTAssertThrowsError(try bad.parameters()) {
            XCTAssertEqual("\($0)", "workload stride has 2 values; expected 3")
        }
    }

    func testAnsweredTrialsAndBadRequests() throws {
        let worker = TrialWorkerProcess(command: [try q3dPath(), "tune-worker", "--device", "cpu", "--threads", "1"])
        let ok = worker.run(try request(1))
        XCTAssertTrue(ok.succeeded, "\(ok)")
        XCTAssertGreaterThan(ok.milliseconds ?? 0, 0)
        let unknown = worker.run(try request(2, impl: "dp4a"))
        XCTAssertEqual(unknown.stage, "request")
        XCTAssertEqual(unknown.error, "unknown CPU implementation 'dp4a'; expected fast or reference")
        XCTAssertEqual(worker.started, 1, "a failed trial that the worker answered keeps the worker")
        worker.stop()
        XCTAssertFalse(worker.isRunning)
    }

    func testADeadWorkerFailsItsTrialAndIsReplaced() throws {
        let worker = TrialWorkerProcess(command: [try q3dPath(), "tune-worker", "--device", "cpu", "--threads", "1"])
        let exited = worker.run(try request(1, debug: .exit))
        XCTAssertEqual(exited.stage, "worker")
        XCTAssertTrue(exited.error?.hasPrefix("the worker exited with status 3 during the trial") == true, "\(exited)")
        XCTAssertTrue(exited.error?.contains("tune-worker: exiting on request (debug)") == true, "\(exited)")
        let aborted = worker.run(try request(2, debug: .abort))
        XCTAssertTrue(aborted.error?.contains("was killed by signal 6 (SIGABRT)") == true, "\(aborted)")
        let next = worker.run(try request(3))
        XCTAssertTrue(next.succeeded, "\(next)")
        XCTAssertEqual(next.id, 3)
        XCTAssertEqual(worker.started, 3)
    }

    func testAHungWorkerIsKilledAtTheTimeLimit() throws {
        let worker = TrialWorkerProcess(
            command: [try q3dPath(), "tune-worker", "--device", "cpu", "--threads", "1"], timeLimit: 0.5,
            setupTimeLimit: 30)
        let clock = ContinuousClock()
        let start = clock.now
        let hung = worker.run(try request(1, debug: .hang))
        XCTAssertLessThan(clock.now - start, .seconds(5))
        XCTAssertEqual(hung.stage, "timeout")
        XCTAssertEqual(hung.error, "no answer within 0.5 s; the worker was killed (a new one runs the next trial)")
        XCTAssertFalse(worker.isRunning)
        worker.timeLimit = 60
        let next = worker.run(try request(2))
        XCTAssertTrue(next.succeeded, "\(next)")
        XCTAssertEqual(worker.started, 2)
    }

    func testAMissingProgramFailsTheTrialWithItsReason() {
        let worker = TrialWorkerProcess(command: ["/nonexistent/q3d", "tune-worker"])
        guard let trial = try? request(1) else { return XCTFail("request") }
        let result = worker.run(trial)
        XCTAssertEqual(result.stage, "worker")
        XCTAssertEqual(result.error, "cannot start the worker: /nonexistent/q3d: No such file or directory")
    }
}
