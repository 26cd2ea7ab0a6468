import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// Compiles the default and a uniform sample of the hmma spaces with NVRTC for sm_80 and sm_90 —
/// every one must compile — alternating the four outputs (float32 or fp16, with or without ReLU).
/// Skipped without NVRTC. `Q3D_HMMA_SWEEP=n`: n configurations per workload and architecture
/// (default 8).
final class HmmaCompileSweepTests: XCTestCase {
    static let outputs: [(OutputKind, HmmaOutput)] = [
        (.int32, .float32(relu: false)), (.int8(relu: true, residual: false), .float16(relu: true)),
        (.int32, .float32(relu: true)), (.int8(relu: false, residual: false), .float16(relu: false)),
    ]

    func testSampledConfigurationsCompileForSm80AndSm90() throws {
        for arch in ["sm_80", "sm_90"] where (try? NVRTC.library(for: arch)) == nil {
            throw XCTSkip("NVRTC for \(arch) not found; searched: \(NVRTC.searched().joined(separator: "; "))")
        }
        let perArch = ImmaCompileSweepTests.count("Q3D_HMMA_SWEEP", default: 8)
        var rng = SeededGenerator(seed: 0xF16)
        var cases: [ImmaCompileSweepTests.Case] = []
        for (name, workload) in HmmaTemplateTests.workloads {
            for arch in ImmaTemplateTests.archs {
                var configs = [(try HmmaConv3DTemplate.defaultConfig(for: workload, on: arch), Self.outputs[1], true)]
                let space = try HmmaConv3DTemplate.space(for: workload, on: arch)
                for (i, point) in space.sample(count: perArch, using: &rng).enumerated() {
                    configs.append((try space.config(at: point, as: ImmaConv3DConfig.self), Self.outputs[i % Self.outputs.count], false))
                }
                for (config, output, isDefault) in configs {
                    cases.append(.init(
                        name: name, arch: arch.nvrtcArchitecture, config: "\(config) \(output.1)", output: output.0,
                        isDefault: isDefault
                    ) {
                        try HmmaConv3DTemplate.render(workload: workload, config: config, output: output.1)
                    })
                }
            }
        }
        try ImmaCompileSweepTests.compileAll(cases, label: "hmma mma.sync f16")
    }
}
