import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Synchronization
import Tensors
import XCTest

/// Compiles the halo template for sm_90a with NVRTC: the default configuration of every qualifying
/// anchor layer and odd workload, and a uniform sample of each one's space, with a random output
/// kind. Every kernel must compile without spilling and without ptxas serializing its `wgmma`s (its
/// report names the reason, e.g. a register of an operation in flight used in between). Skipped without
/// NVRTC.
///
/// `Q3D_IMMA_HALO_SWEEP=n`: n sampled configurations per workload (default 8).
final class ImmaHaloCompileSweepTests: XCTestCase {
    func testHaloConfigurationsCompileForSm90aWithoutSpills() throws {
        guard (try? NVRTC.library(for: "sm_90a")) != nil else {
            throw XCTSkip("NVRTC for sm_90a not found; searched: \(NVRTC.searched().joined(separator: "; "))")
        }
        let perWorkload = ImmaCompileSweepTests.count("Q3D_IMMA_HALO_SWEEP", default: 8)
        var rng = SeededGenerator(seed: 0x4A15)
        var collected: [ImmaCompileSweepTests.Case] = []
        for (name, workload) in ImmaHaloTemplateTests.workloads {
            let defaultConfig = try ImmaHaloConv3DTemplate.defaultConfig(for: workload, on: .sm90a)
            var configs = [(defaultConfig, OutputKind.int8(relu: true, residual: true), true)]
            let space = try ImmaHaloConv3DTemplate.space(for: workload, on: .sm90a)
            for point in space.sample(count: perWorkload, using: &rng) {
                let output = ImmaEmulationTests.outputs[Int.random(in: 0..<ImmaEmulationTests.outputs.count, using: &rng)]
                configs.append((try space.config(at: point, as: ImmaHaloConv3DConfig.self), output, false))
            }
            for (config, output, isDefault) in configs {
                collected.append(.init(name: name, arch: "sm_90a", config: config.json, output: output, isDefault: isDefault) {
                    try ImmaHaloConv3DTemplate.render(workload: workload, config: config, output: output)
                })
            }
        }
        let cases = collected
        let results = Mutex<[(index: Int, registers: Int?, spills: Int?, serialized: String?, error: String?)]>([])
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            let c = cases[i]
            do {
                let kernel = try c.render()
                let compiled = try NVRTC.compile(
                    source: kernel.text, name: kernel.name, arch: c.arch, options: ImmaCompileSweepTests.options)
                let serialized = compiled.log.split(separator: "\n").first { $0.contains("wgmma") && $0.contains("serialized") }
                results.withLock { $0.append((i, compiled.registers, compiled.spillBytes, serialized.map(String.init), nil)) }
            } catch {
                results.withLock { $0.append((i, nil, nil, nil, "\(error)")) }
            }
        }
        let all = results.withLock { $0 }.sorted { $0.index < $1.index }
        for r in all where cases[r.index].isDefault {
            print("default imma_halo \(cases[r.index].name): \(cases[r.index].config) \(r.registers.map(String.init) ?? "?") registers, "
                + "\(r.spills.map(String.init) ?? "?") bytes spilled")
        }
        print("imma_halo compile sweep: \(all.count) kernels, registers up to \(all.compactMap(\.registers).max() ?? 0)")
        let failures = all.filter { $0.error != nil || $0.spills == nil || $0.spills != 0 || $0.serialized != nil }
        XCTAssertTrue(failures.isEmpty, failures.prefix(5).map { r in
            let c = cases[r.index]
            return "\(c.name) [\(c.config)] \(c.output): "
                + (r.error ?? r.serialized ?? "\(r.spills.map(String.init) ?? "unknown") bytes spilled")
        }.joined(separator: "\n\n"))
    }
}
