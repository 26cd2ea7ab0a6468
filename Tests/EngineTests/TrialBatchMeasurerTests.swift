import CUDARuntime
import ConvGeometry
import Kernels
import XCTest

@testable import Engine

/// GPU trials' parallel compilation, checked with NVRTC alone: a config that does not compile (or
/// does not fit the template) fails its trial before the worker sees it.
final class TrialBatchMeasurerTests: XCTestCase {
    func testPrecompileFailsBadConfigsAndKeepsGoodOnes() throws {
        guard (try? NVRTC.library(for: "sm_80")) != nil else {
            throw XCTSkip("NVRTC for sm_80 not found; searched: \(NVRTC.searched().joined(separator: "; "))")
        }
        let p = try Conv3DParameters(
            batch: 1, inputChannels: 8, outputChannels: 16, input: Extent3(4, 8, 8), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))
        let defaultConfig = try Conv3DDispatcher.defaultConfigJSON(impl: "dp4a", workload: p, arch: .sm80)
        func request(_ id: Int, _ config: String?) -> TrialRequest {
            TrialRequest(id: id, workload: TrialWorkload(p), impl: "dp4a", config: config)
        }
        let requests = [request(1, defaultConfig), request(2, "{\"tile_f\":[1]}"), request(3, nil)]
        let directory = NSTemporaryDirectory() + "q3d-precompile-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let errors = TrialPrecompile.compile(requests, arch: .sm80, cache: ModuleCache(directory: directory), threads: 2)
        XCTAssertNil(errors[0], "\(errors)")
        XCTAssertTrue(errors[1]?.contains("is not a dp4a config") == true, "\(errors)")
        XCTAssertNil(errors[2], "nil is the template's default")
        let cubins = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".cubin") }
        XCTAssertEqual(cubins.count, 1, "the default config, given or not, is one kernel in the worker's cache")

        // Through a simulated worker: the bad config fails at compile, the others are measured.
        let q3d = URL(filePath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent().appending(path: "q3d").path
        guard FileManager.default.isExecutableFile(atPath: q3d) else { throw XCTSkip("no q3d at \(q3d)") }
        let measurer = TrialBatchMeasurer(
            worker: TrialWorkerProcess(command: [q3d, "tune-worker", "--device", "simulated"]), arch: .sm80,
            cache: ModuleCache(directory: directory), compileThreads: 2)
        var seen: [Int] = []
        let results = measurer.measure(requests) { done, _ in seen.append(done) }
        XCTAssertEqual(seen, [1, 2, 3])
        XCTAssertEqual(results.map(\.stage), [nil, "compile", nil])
        XCTAssertEqual(results.map(\.id), [1, 2, 3])
        XCTAssertEqual(measurer.worker.started, 1)
    }
}
