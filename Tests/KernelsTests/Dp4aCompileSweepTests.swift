import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Synchronization
import Tensors
import XCTest

/// Compiles a uniform sample of the dp4a space of each verification workload (r3d.l1, r2p1d.t,
/// r3d.stem, and the odd C = 24, K = 40, dilation 2, asymmetric padding one) with NVRTC for sm_61 and
/// sm_90: every sampled configuration must compile, and ptxas must report exactly the shared memory the
/// space's rules counted. Skipped without NVRTC.
///
/// Every sampled configuration is compiled for both architectures with `--Ofast-compile=max`, which
/// runs the whole front end and ptxas (where shared memory and register limits are enforced) but
/// skips most optimization: it takes a fifth of the time, which keeps 2 x 4 x 300 compiles within CI's
/// minutes. The first `Q3D_DP4A_SWEEP_FULL` configurations of each workload (default 25) are compiled
/// again with the options the engine uses, full optimization included. `Q3D_DP4A_SWEEP=n` sets the
/// sample per workload (default 300). The summary prints times, registers and spills.
final class Dp4aCompileSweepTests: XCTestCase {
    /// What `Engine.LoadedConvKernel` compiles every kernel with.
    static let engineOptions = ["--std=c++17", "--ptxas-options=-v"]
    static let fastOptions = engineOptions + ["--Ofast-compile=max"]
    static let archs: [GPUArchitecture] = [.sm61, .sm90]
    static let outputs: [OutputKind] = [
        .int32, .int8(relu: true, residual: false), .int8(relu: false, residual: false),
        .int8(relu: true, residual: true), .int8(relu: false, residual: true),
    ]

    struct Case: Sendable {
        var workload: String
        var arch: GPUArchitecture
        var kernel: KernelSource
        var full: Bool
    }

    struct Outcome: Sendable {
        var seconds: Double
        var registers: Int?
        var spillBytes: Int?
        var sharedBytes: Int?
        var error: String?
    }

    func testSampledConfigurationsCompileForSm61AndSm90() throws {
        for arch in Self.archs {
            guard (try? NVRTC.library(for: arch.nvrtcArchitecture)) != nil else {
                throw XCTSkip("NVRTC for \(arch) not found; searched: \(NVRTC.searched().joined(separator: "; "))")
            }
        }
        let environment = ProcessInfo.processInfo.environment
        let perWorkload = Int(environment["Q3D_DP4A_SWEEP"] ?? "") ?? 300
        let fullPerWorkload = Int(environment["Q3D_DP4A_SWEEP_FULL"] ?? "") ?? 25
        let fastOptions = try Self.fastOptionsIfSupported()

        var cases: [Case] = []
        var rng = SeededGenerator(seed: 0xD4A_5EE9)
        for layer in AnchorLayers.verificationSet() {
            // The two architectures share every limit the rules read, so one sample serves both.
            let sm90 = try Dp4aConv3DTemplate.space(for: layer.parameters, on: .sm90)
            let sm61 = try Dp4aConv3DTemplate.space(for: layer.parameters, on: .sm61)
            // Rejection sampling: exact and uniform, and in a debug build far cheaper than counting.
            let points = sm90.sampleByRejection(count: perWorkload, using: &rng)
            XCTAssertEqual(points.count, perWorkload, layer.name)
            for (i, point) in points.enumerated() {
                let config = try sm90.config(at: point, as: Dp4aConv3DConfig.self)
                XCTAssertTrue(sm61.contains(config), "\(layer.name) \(config)")
                let kernel = try Dp4aConv3DTemplate.render(
                    workload: layer.parameters, config: config, output: Self.outputs[i % Self.outputs.count])
                for arch in Self.archs {
                    cases.append(Case(workload: layer.name, arch: arch, kernel: kernel, full: false))
                    if i < fullPerWorkload { cases.append(Case(workload: layer.name, arch: arch, kernel: kernel, full: true)) }
                }
            }
        }

        let all = cases
        let outcomes = Mutex<[Int: Outcome]>([:])
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: all.count) { i in
            let c = all[i]
            let begin = Date()
            var outcome = Outcome(seconds: 0)
            do {
                let compiled = try NVRTC.compile(
                    source: c.kernel.text, name: c.kernel.name, arch: c.arch.nvrtcArchitecture,
                    options: c.full ? Self.engineOptions : fastOptions)
                outcome.registers = compiled.registers
                outcome.spillBytes = compiled.spillBytes
                outcome.sharedBytes = compiled.sharedBytes
            } catch {
                outcome.error = "\(error)"
            }
            outcome.seconds = Date().timeIntervalSince(begin)
            outcomes.withLock { $0[i] = outcome }
        }
        let wall = Date().timeIntervalSince(start)
        let results = outcomes.withLock { $0 }
        let failures = all.indices.filter { results[$0]?.error != nil }
        let sharedMismatches = all.indices.filter { i in
            results[i]?.error == nil && results[i]?.sharedBytes != all[i].kernel.staticSharedBytes
        }
        print(Self.summary(all, results, wall: wall, fastOptions: fastOptions))
        XCTAssertEqual(results.count, all.count)
        XCTAssertTrue(failures.isEmpty, failures.prefix(5).map { i in
            "\(all[i].workload) \(all[i].arch) \(all[i].full ? "full" : "fast"):\n\(all[i].kernel.text.prefix(1200))\n\(results[i]?.error ?? "")"
        }.joined(separator: "\n\n"))
        XCTAssertTrue(sharedMismatches.isEmpty, sharedMismatches.prefix(5).map { i in
            "\(all[i].kernel.name) \(all[i].arch): ptxas \(results[i]?.sharedBytes.map(String.init) ?? "?") bytes, "
                + "rules \(all[i].kernel.staticSharedBytes)"
        }.joined(separator: "\n"))
    }

    /// `fastOptions`, or the engine's when this NVRTC predates `--Ofast-compile` (CUDA 12.8).
    static func fastOptionsIfSupported() throws -> [String] {
        let probe = "extern \"C\" __global__ void q3d_probe(int* p) { p[0] = 1; }"
        for arch in archs {
            do {
                _ = try NVRTC.compile(source: probe, name: "q3d_probe", arch: arch.nvrtcArchitecture, options: fastOptions)
            } catch {
                print("dp4a compile sweep: \(error); compiling with full optimization")
                return engineOptions
            }
        }
        return fastOptions
    }

    static func summary(_ cases: [Case], _ results: [Int: Outcome], wall: Double, fastOptions: [String]) -> String {
        var lines = [String(format: "dp4a compile sweep: %d compiles in %.0f s wall", cases.count, wall)]
        for arch in archs {
            for full in [false, true] {
                let picked = cases.indices.filter { cases[$0].arch == arch && cases[$0].full == full }
                let seconds = picked.compactMap { results[$0]?.seconds }.sorted()
                guard !seconds.isEmpty else { continue }
                let failed = picked.filter { results[$0]?.error != nil }.count
                let spilling = picked.filter { (results[$0]?.spillBytes ?? 0) > 0 }.count
                let registers = picked.compactMap { results[$0]?.registers }.sorted()
                let options = full ? engineOptions : fastOptions
                lines.append(String(
                    format: "  %@ %@: %d kernels, %d failed, %.2f s mean, %.2f s median, %.2f s max; registers median %d, max %d; %d spill",
                    arch.nvrtcArchitecture, options.joined(separator: " "), picked.count, failed,
                    seconds.reduce(0, +) / Double(seconds.count), seconds[seconds.count / 2], seconds.last ?? 0,
                    registers.isEmpty ? 0 : registers[registers.count / 2], registers.last ?? 0, spilling))
            }
        }
        let spilling = cases.indices.filter { cases[$0].full && (results[$0]?.spillBytes ?? 0) > 0 }
        for i in spilling.prefix(10) {
            lines.append("  spills with full optimization: \(cases[i].kernel.name) \(cases[i].arch): "
                + "\(results[i]?.spillBytes ?? 0) bytes, \(results[i]?.registers ?? 0) registers")
        }
        return lines.joined(separator: "\n")
    }
}
