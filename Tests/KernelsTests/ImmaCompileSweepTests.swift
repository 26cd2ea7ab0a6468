import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Synchronization
import Tensors
import XCTest

/// Compiles a uniform sample of each space with NVRTC, for sm_80 and sm_90: every sampled
/// configuration must compile, with the default configurations among them. Skipped without NVRTC.
///
/// `Q3D_IMMA_SWEEP=n` compiles n configurations per workload and architecture (default 50, so 100 per
/// workload); the printed summary gives the compile times, registers and spills.
final class ImmaCompileSweepTests: XCTestCase {
    static let options = ["--std=c++17", "-default-device", "--ptxas-options=-v"]

    struct Case: Sendable {
        var name: String
        var workload: Conv3DParameters
        var arch: GPUArchitecture
        var config: ImmaConv3DConfig
        var output: OutputKind
        var isDefault: Bool
    }

    struct Result: Sendable {
        var index: Int
        var seconds: Double
        var registers: Int?
        var spillBytes: Int?
        var error: String?
    }

    func testSampledConfigurationsCompileForSm80AndSm90() throws {
        for arch in ["sm_80", "sm_90"] {
            guard (try? NVRTC.library(for: arch)) != nil else {
                throw XCTSkip("NVRTC for \(arch) not found; searched: \(NVRTC.searched().joined(separator: "; "))")
            }
        }
        let perArch = Int(ProcessInfo.processInfo.environment["Q3D_IMMA_SWEEP"] ?? "") ?? 50
        let outputs = ImmaEmulationTests.outputs
        var rng = SeededGenerator(seed: 0x5EE9)
        var sampled: [Case] = []
        for (name, workload) in ImmaTemplateTests.workloads {
            for arch in ImmaTemplateTests.archs {
                let config = try ImmaConv3DTemplate.defaultConfig(for: workload, on: arch)
                sampled.append(Case(name: name, workload: workload, arch: arch, config: config, output: .int8(relu: true, residual: false), isDefault: true))
                let space = try ImmaConv3DTemplate.space(for: workload, on: arch)
                for point in space.sample(count: perArch, using: &rng) {
                    let config = try space.config(at: point, as: ImmaConv3DConfig.self)
                    let output = outputs[Int.random(in: 0..<outputs.count, using: &rng)]
                    sampled.append(Case(name: name, workload: workload, arch: arch, config: config, output: output, isDefault: false))
                }
            }
        }
        let cases = sampled
        let results = Mutex<[Result]>([])
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            let c = cases[i]
            let begin = Date()
            var result = Result(index: i, seconds: 0)
            do {
                let kernel = try ImmaConv3DTemplate.render(workload: c.workload, config: c.config, output: c.output)
                let compiled = try NVRTC.compile(source: kernel.text, name: kernel.name, arch: c.arch.nvrtcArchitecture, options: Self.options)
                result.registers = compiled.registers
                result.spillBytes = compiled.spillBytes
            } catch {
                result.error = "\(error)"
            }
            result.seconds = Date().timeIntervalSince(begin)
            results.withLock { $0.append(result) }
        }
        let all = results.withLock { $0 }.sorted { $0.index < $1.index }
        let failures = all.filter { $0.error != nil }
        let total = Date().timeIntervalSince(start)
        let seconds = all.map(\.seconds).sorted()
        print(String(format: "imma compile sweep: %d kernels in %.0f s wall (median %.2f s, max %.2f s each), %d failures",
                     all.count, total, seconds[seconds.count / 2], seconds.last ?? 0, failures.count))
        let spilling = all.filter { ($0.spillBytes ?? 0) > 0 }
        print("  \(spilling.count) kernels spill: " + spilling.prefix(10).map { r in
            "\(cases[r.index].name) \(cases[r.index].arch) [\(cases[r.index].config)] \(r.spillBytes ?? 0) B"
        }.joined(separator: "; "))
        for r in all where cases[r.index].isDefault {
            let c = cases[r.index]
            print("  default \(c.name) \(c.arch): [\(c.config)] \(r.registers.map(String.init) ?? "?") registers, \(r.spillBytes.map(String.init) ?? "?") bytes spilled, \(String(format: "%.1f", r.seconds)) s")
        }
        XCTAssertTrue(failures.isEmpty, failures.prefix(5).map { r in
            let c = cases[r.index]
            return "\(c.name) \(c.arch) [\(c.config.json)] \(c.output): \(r.error ?? "")"
        }.joined(separator: "\n\n"))
    }
}
