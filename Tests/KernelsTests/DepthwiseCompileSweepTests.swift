import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// Compiles every valid configuration of the depthwise spaces of the four depthwise workloads with
/// NVRTC for sm_61, sm_80 and sm_90 — every one must compile (the output kind cycles through int32,
/// int8 and int8 with residual) — plus the default configuration of each for every output. Skipped
/// without NVRTC.
final class DepthwiseCompileSweepTests: XCTestCase {
    func testEveryValidConfigurationCompilesForSm61Sm80AndSm90() throws {
        let archs: [GPUArchitecture] = [.sm61, .sm80, .sm90]
        for arch in archs where (try? NVRTC.library(for: arch.nvrtcArchitecture)) == nil {
            throw XCTSkip("NVRTC for \(arch) not found; searched: \(NVRTC.searched().joined(separator: "; "))")
        }
        var cases: [ImmaCompileSweepTests.Case] = []
        let outputs = DepthwiseTemplateTests.outputs
        for layer in DepthwiseTemplateTests.workloads {
            for arch in archs {
                let config = try DepthwiseConv3DTemplate.defaultConfig(for: layer.parameters, on: arch)
                for output in outputs {
                    cases.append(.init(name: layer.name, arch: arch.nvrtcArchitecture, config: config.description, output: output, isDefault: true) {
                        try DepthwiseConv3DTemplate.render(workload: layer.parameters, config: config, output: output)
                    })
                }
                let space = try DepthwiseConv3DTemplate.space(for: layer.parameters, on: arch)
                for (i, point) in space.allValidPoints().enumerated() {
                    let config = try space.config(at: point, as: DepthwiseConv3DConfig.self)
                    let output = outputs[i % outputs.count]
                    cases.append(.init(name: layer.name, arch: arch.nvrtcArchitecture, config: config.description, output: output, isDefault: false) {
                        try DepthwiseConv3DTemplate.render(workload: layer.parameters, config: config, output: output)
                    })
                }
            }
        }
        try ImmaCompileSweepTests.compileAll(cases, label: "depthwise")
    }
}
