import Foundation
import XCTest

/// `q3d tune` end to end on a GPU-less machine: a simulated sm_80 (kernels compile with NVRTC, the
/// worker returns pseudo-times), its log, resume and the truncated-line warning.
final class TuneCLITests: XCTestCase {
    func q3d() throws -> String {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let path = URL(filePath: exe).deletingLastPathComponent().appending(path: "q3d").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw XCTSkip("no q3d executable at \(path); run `swift build --product q3d` first")
        }
        return path
    }

    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(filePath: try q3d())
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["Q3D_CACHE_DIR"] = NSTemporaryDirectory() + "q3d-test-kernel-cache"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func testTuneLogsEveryTrialAndResumes() throws {
        let log = NSTemporaryDirectory() + "q3d-tune-\(UUID().uuidString).jsonl"
        let plot = log + ".svg"
        defer { try? FileManager.default.removeItem(atPath: log); try? FileManager.default.removeItem(atPath: plot) }
        let conv = ["--input", "1,8,4,8,8", "--weight", "16,8,3,3,3", "--pad", "1"]
        let tune = ["tune"] + conv + ["--simulate", "sm_80", "--impl", "dp4a", "--round", "2", "--strategy", "random", "--log", log]

        var r = try run(tune + ["--trials", "3", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let first = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        XCTAssertEqual(first?["trials"] as? Int, 3, r.out)
        XCTAssertEqual(first?["failures"] as? Int, 0, r.out)
        XCTAssertEqual((first?["best_so_far"] as? [Any])?.count, 3)
        XCTAssertEqual(try lines(log).count, 3)

        // A run killed mid-write leaves half a line; the next run warns, ends that line and goes on.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: log))
        handle.seekToEndOfFile()
        handle.write(Data("{\"op\":\"conv3d\",\"work".utf8))
        handle.closeFile()
        r = try run(tune + ["--trials", "5", "--plot", plot])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("skipped a truncated last line"), r.err)
        XCTAssertTrue(r.out.contains("2 (+3 logged)"), r.out)
        let records = try lines(log).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(records.count, 5, "the five trials are whole lines")
        XCTAssertEqual(Set(records.compactMap { $0["config"] as? String }).count, 5, "no config measured twice")
        XCTAssertTrue(records.allSatisfy { $0["template"] as? String == "dp4a_conv3d_ncdhw4c" && $0["arch"] as? String == "sm_80" })
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("</svg>"))

        // Everything asked for is in the log: nothing is measured.
        r = try run(tune + ["--trials", "5", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("\"trials\":0"), r.out)
        XCTAssertEqual(try lines(log).count, 6)
    }

    func testLogsFromTwoMachinesMergeByConcatenation() throws {
        let dir = NSTemporaryDirectory() + "q3d-merge-\(UUID().uuidString)/"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let conv = ["--input", "1,8,4,8,8", "--weight", "16,8,3,3,3", "--pad", "1", "--impl", "dp4a", "--strategy", "random"]
        // Two machines (an sm_80 and an sm_90 GPU) tune the same convolution into their own logs.
        for arch in ["sm_80", "sm_90"] {
            let r = try run(["tune"] + conv + ["--simulate", arch, "--trials", "3", "--round", "3", "--log", dir + arch + ".jsonl"])
            XCTAssertEqual(r.status, 0, r.err)
        }
        let merged = dir + "merged.jsonl"
        let both = try lines(dir + "sm_80.jsonl") + lines(dir + "sm_90.jsonl")
        try (both.joined(separator: "\n") + "\n").write(toFile: merged, atomically: true, encoding: .utf8)
        // The merged log resumes each machine's tuning where it stood: each has its 3 trials, and
        // 4 asked for means 1 new trial on each architecture, not 4.
        for arch in ["sm_80", "sm_90"] {
            let r = try run(["tune"] + conv + ["--simulate", arch, "--trials", "4", "--round", "4", "--log", merged, "--json"])
            XCTAssertEqual(r.status, 0, r.err)
            let summary = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
            XCTAssertEqual(summary?["resumed"] as? Int, 3, "\(arch): \(r.out)")
            XCTAssertEqual(summary?["trials"] as? Int, 1, "\(arch): \(r.out)")
        }
        let records = try lines(merged).compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(records.count, 8)
        XCTAssertEqual(records.filter { $0["arch"] as? String == "sm_90" }.count, 4)
    }

    func testACrashedOrHungTrialFailsAloneAndTuningGoesOn() throws {
        let log = NSTemporaryDirectory() + "q3d-tune-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let r = try run([
            "tune", "--input", "1,8,4,8,8", "--weight", "16,8,3,3,3", "--simulate", "sm_80", "--impl", "dp4a",
            "--strategy", "random", "--trials", "5", "--round", "5", "--log", log, "--inject-fault", "2", "--inject-hang", "3",
            "--time-limit", "1",
        ])
        XCTAssertEqual(r.status, 0, r.err)
        let records = try lines(log).map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(records.map { $0["stage"] as? String }, [nil, "worker", "timeout", nil, nil])
        XCTAssertEqual(records[1]["error"] as? String, "the worker was killed by signal 11 (SIGSEGV) during the trial")
        XCTAssertTrue((records[2]["error"] as? String)?.hasPrefix("no answer within 1 s") == true)
        XCTAssertNotNil(records[3]["ms"] as? NSNumber, "fresh workers measure the rest")
        XCTAssertNotNil(records[4]["ms"] as? NSNumber)
        XCTAssertTrue(r.out.contains("first failure in n1c8k16d4h8w8f3x3x3: worker: the worker was killed by signal 11"), r.out)
    }

    func testTuneNamesBadValues() throws {
        let cases: [([String], String)] = [
            (["--trials", "0"], "--trials is 0; expected 1 or more"),
            (["--strategy", "annealing"], "--strategy annealing; expected model, random or grid"),
            (["--device", "gpu"], "--device gpu; expected cpu or cuda"),
            (["--simulate", "sm_99"], "--simulate sm_99; expected one of sm_61"),
            (["--impl", "winograd", "--simulate", "sm_80"], "unknown implementation 'winograd'"),
            (["--impl", "imma_wgmma", "--simulate", "sm_80"], "needs sm_90a; the GPU is sm_80"),
        ]
        for (extra, message) in cases {
            let r = try run(["tune", "--layer", "r3d.l1", "--log", "/dev/null"] + extra)
            XCTAssertEqual(r.status, 2, "\(extra): \(r.err)")
            XCTAssertTrue(r.err.contains(message), "\(extra): \(r.err)")
        }
    }
}
