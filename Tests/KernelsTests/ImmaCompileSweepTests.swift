import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Synchronization
import Tensors
import XCTest

/// Compiles uniform samples of the imma spaces with NVRTC — every sampled configuration must compile —
/// and prints compile times, registers and spills, the default configurations' among them. Skipped
/// without NVRTC.
///
/// `Q3D_IMMA_SWEEP=n`: n `mma.sync` configurations per workload and architecture (sm_80, sm_90;
/// default 50, so 100 per workload). `Q3D_IMMA_WGMMA_SWEEP=n`: n `wgmma` configurations per workload
/// on sm_90a (default 30).
final class ImmaCompileSweepTests: XCTestCase {
    static let options = ["--std=c++17", "-default-device", "--ptxas-options=-v"]

    struct Case: Sendable {
        var name: String
        var arch: String
        var config: String
        var output: OutputKind
        var isDefault: Bool
        var render: @Sendable () throws -> KernelSource
    }

    struct Result: Sendable {
        var index: Int
        var seconds: Double
        var registers: Int?
        var spillBytes: Int?
        var error: String?
    }

    static func count(_ variable: String, default value: Int) -> Int {
        Int(ProcessInfo.processInfo.environment[variable] ?? "") ?? value
    }

    func requireNVRTC(_ archs: [String]) throws {
        for arch in archs where (try? NVRTC.library(for: arch)) == nil {
            throw XCTSkip("NVRTC for \(arch) not found; searched: \(NVRTC.searched().joined(separator: "; "))")
        }
    }

    func testMmaSyncConfigurationsCompileForSm80AndSm90() throws {
        try requireNVRTC(["sm_80", "sm_90"])
        let perArch = Self.count("Q3D_IMMA_SWEEP", default: 50)
        var rng = SeededGenerator(seed: 0x5EE9)
        var cases: [Case] = []
        for (name, workload) in ImmaTemplateTests.workloads {
            for arch in ImmaTemplateTests.archs {
                let defaultConfig = try ImmaConv3DTemplate.defaultConfig(for: workload, on: arch)
                var configs = [(defaultConfig, OutputKind.int8(relu: true, residual: false), true)]
                let space = try ImmaConv3DTemplate.space(for: workload, on: arch)
                for point in space.sample(count: perArch, using: &rng) {
                    let output = ImmaEmulationTests.outputs[Int.random(in: 0..<ImmaEmulationTests.outputs.count, using: &rng)]
                    configs.append((try space.config(at: point, as: ImmaConv3DConfig.self), output, false))
                }
                for (config, output, isDefault) in configs {
                    cases.append(Case(name: name, arch: arch.nvrtcArchitecture, config: config.description, output: output, isDefault: isDefault) {
                        try ImmaConv3DTemplate.render(workload: workload, config: config, output: output)
                    })
                }
            }
        }
        try Self.compileAll(cases, label: "imma mma.sync")
    }

    func testWgmmaConfigurationsCompileForSm90a() throws {
        try requireNVRTC(["sm_90a"])
        let perWorkload = Self.count("Q3D_IMMA_WGMMA_SWEEP", default: 30)
        var rng = SeededGenerator(seed: 0x36A9)
        var cases: [Case] = []
        for (name, workload) in ImmaTemplateTests.workloads {
            let defaultConfig = try ImmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90a)
            var configs = [(defaultConfig, OutputKind.int8(relu: true, residual: false), true)]
            let space = try ImmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            for point in space.sample(count: perWorkload, using: &rng) {
                let output = ImmaEmulationTests.outputs[Int.random(in: 0..<ImmaEmulationTests.outputs.count, using: &rng)]
                configs.append((try space.config(at: point, as: ImmaWgmmaConv3DConfig.self), output, false))
            }
            for (config, output, isDefault) in configs {
                cases.append(Case(name: name, arch: "sm_90a", config: config.description, output: output, isDefault: isDefault) {
                    try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
                })
            }
        }
        try Self.compileAll(cases, label: "imma wgmma")
    }

    /// Compiles the cases two at a time and fails with the first few errors; returns the kernels that spill
    /// (name, architecture, config and bytes), for the sweeps that require none.
    @discardableResult
    static func compileAll(_ cases: [Case], label: String) throws -> [String] {
        let results = Mutex<[Result]>([])
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            let c = cases[i]
            let begin = Date()
            var result = Result(index: i, seconds: 0)
            do {
                let kernel = try c.render()
                let compiled = try NVRTC.compile(source: kernel.text, name: kernel.name, arch: c.arch, options: Self.options)
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
        let seconds = all.map(\.seconds).sorted()
        print(String(format: "%@ compile sweep: %d kernels in %.0f s wall (median %.2f s, max %.2f s each), %d failures",
                     label, all.count, Date().timeIntervalSince(start), seconds[seconds.count / 2], seconds.last ?? 0, failures.count))
        let spilling = all.filter { ($0.spillBytes ?? 0) > 0 }.map { r in
            "\(cases[r.index].name) \(cases[r.index].arch) [\(cases[r.index].config)] \(r.spillBytes ?? 0) B"
        }
        print("  \(spilling.count) kernels spill" + (spilling.isEmpty ? "" : ": ") + spilling.prefix(10).joined(separator: "; "))
        for r in all where cases[r.index].isDefault {
            let c = cases[r.index]
            print("  default \(c.name) \(c.arch): [\(c.config)] \(r.registers.map(String.init) ?? "?") registers, "
                + "\(r.spillBytes.map(String.init) ?? "?") bytes spilled, \(String(format: "%.1f", r.seconds)) s")
        }
        XCTAssertTrue(failures.isEmpty, failures.prefix(5).map { r in
            let c = cases[r.index]
            return "\(c.name) \(c.arch) [\(c.config)] \(c.output): \(r.error ?? "")"
        }.joined(separator: "\n\n"))
        return spilling
    }
}
