import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// Grouped convolutions (1 < G < C) on the imma templates: one implicit GEMM per group, the group folded
/// into the n-tile index. The rules and rejections, a golden source, emulated runs of sampled
/// configurations checked exactly against the CPU reference, and an NVRTC compile sweep.
///
/// `Q3D_IMMA_EMULATE=n` emulates n random configurations per workload and template instead of 1;
/// `Q3D_IMMA_SWEEP=n` compiles n per workload and architecture instead of 12.
final class ImmaGroupedTests: XCTestCase {
    static func conv(
        _ n: Int, _ c: Int, _ k: Int, groups: Int, _ dhw: Extent3, stride: Extent3 = Extent3(uniform: 1),
        dilation: Extent3 = Extent3(uniform: 1), padding: Padding3D = Padding3D(symmetric: Extent3(uniform: 1))
    ) -> Conv3DParameters {
        try! Conv3DParameters(
            batch: n, inputChannels: c, outputChannels: k, input: dhw, kernel: Extent3(uniform: 3), stride: stride,
            dilation: dilation, padding: .explicit(padding), groups: groups)
    }

    /// Small twins of the grouped anchor layers (``AnchorLayers/groupedSet(batch:)``), so that an
    /// emulated run takes seconds, and two shapes the anchors lack: K/G = 9 with K = 18 (odd columns per
    /// group, output padding channels 18 and 19) and K/G = 128 (several n-tiles per group).
    static let workloads: [(name: String, workload: Conv3DParameters)] = [
        ("g32.c128", conv(1, 128, 128, groups: 32, Extent3(2, 6, 6))),
        ("g32.c256", conv(1, 256, 256, groups: 32, Extent3(2, 4, 5))),
        ("g32.c512s2", conv(1, 512, 512, groups: 32, Extent3(2, 6, 6), stride: Extent3(1, 2, 2))),
        ("g4.c256", conv(1, 256, 256, groups: 4, Extent3(2, 5, 5))),
        ("g2.c24k40d2", conv(
            1, 24, 40, groups: 2, Extent3(9, 10, 11), dilation: Extent3(uniform: 2),
            padding: Padding3D(front: 0, top: 1, left: 2, back: 2, bottom: 1, right: 0))),
        ("g4.c48k36s2", conv(
            1, 48, 36, groups: 4, Extent3(5, 13, 11), stride: Extent3(1, 2, 2),
            padding: Padding3D(front: 1, top: 0, left: 1, back: 1, bottom: 2, right: 1))),
        ("g2.c16k18", conv(2, 16, 18, groups: 2, Extent3(3, 5, 7))),
        ("g2.c64k256", conv(1, 64, 256, groups: 2, Extent3(2, 6, 6))),
    ]

    // MARK: - Geometry, rules and rejections

    func testGroupedGeometryIsOneGEMMPerGroup() throws {
        let g = try ImmaConv3DGeometry(Self.workloads[1].workload)  // C = K = 256, G = 32
        XCTAssertEqual(g.reductionChannels, 8)
        XCTAssertEqual(g.groupColumns, 8)
        XCTAssertEqual(g.reduction, 27 * 8)
        XCTAssertEqual(g.weightRows, 256)
        XCTAssertEqual(g.weightElements, 256 * 27 * 8)
        XCTAssertEqual(g.inputPitch, 256)
        XCTAssertEqual(g.inputVectorWidths, [4, 8])
        let config = ImmaConv3DConfig(blockM: 64, blockN: 16, blockK: 32, warpsM: 4, warpsN: 1, stages: 3, inputVectorBytes: 8)
        let tiling = ImmaConv3DPlan(geometry: g, config: config).tiling
        XCTAssertEqual(tiling.nTilesPerGroup, 1)
        XCTAssertEqual(tiling.nTiles, 32)
        XCTAssertEqual(tiling.kTiles, 7)
        let wide = ImmaConv3DPlan(geometry: try ImmaConv3DGeometry(Self.workloads[7].workload), config: config).tiling
        XCTAssertEqual(wide.nTilesPerGroup, 8)
        XCTAssertEqual(wide.nTiles, 16)
    }

    /// Every activation copy width of a grouped space divides C/G, and every channel tile is below
    /// twice K/G (or the smallest).
    func testGroupedSpacesRespectTheGroupExtents() throws {
        var rng = SeededGenerator(seed: 0x6_0A3D)
        for (name, workload) in Self.workloads {
            for arch in [GPUArchitecture.sm80, .sm90] {
                let space = try ImmaConv3DTemplate.space(for: workload, on: arch)
                for point in space.sample(count: 40, using: &rng) {
                    let config = try space.config(at: point, as: ImmaConv3DConfig.self)
                    XCTAssertEqual(workload.inputChannelsPerGroup % config.inputVectorBytes, 0, "\(name) \(config)")
                    XCTAssertTrue(config.blockN == 16 || config.blockN < 2 * workload.outputChannelsPerGroup, "\(name) \(config)")
                    XCTAssertNoThrow(try ImmaConv3DTemplate.render(workload: workload, config: config, output: .int32), "\(name) \(config)")
                }
            }
            let wgmma = try ImmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            for point in wgmma.sample(count: 20, using: &rng) {
                // Copies read the packed GEMM's channels: P x C/G of them, or the pitch once P = G.
                let config = try wgmma.config(at: point, as: ImmaWgmmaConv3DConfig.self)
                let packed = try ImmaConv3DGeometry(workload, groupPack: config.groupPack)
                XCTAssertEqual(packed.reductionChannels % config.inputVectorBytes, 0, "\(name) \(config)")
            }
        }
    }

    func testChannelsNotDivisibleByGroupsAreRejectedWithTheirValue() {
        XCTAssertThrowsError(try Conv3DParameters(
            batch: 1, inputChannels: 24, outputChannels: 40, input: Extent3(uniform: 5), kernel: Extent3(uniform: 3), groups: 5
        )) { error in
            XCTAssertTrue("\(error)".contains("input channels 24 are not divisible by groups 5"), "\(error)")
        }
        XCTAssertThrowsError(try Conv3DParameters(
            batch: 1, inputChannels: 24, outputChannels: 42, input: Extent3(uniform: 5), kernel: Extent3(uniform: 3), groups: 4
        )) { error in
            XCTAssertTrue("\(error)".contains("output channels 42 are not divisible by groups 4"), "\(error)")
        }
    }

    /// C/G = 6 (C = 24 in 4 groups): group 1's channels start at byte 6, which no cp.async reaches.
    func testGroupChannelsNotAMultipleOfFourAreRejected() throws {
        let workload = Self.conv(1, 24, 40, groups: 4, Extent3(uniform: 5))
        for arch in [GPUArchitecture.sm80, .sm90] {
            XCTAssertThrowsError(try ImmaConv3DTemplate.space(for: workload, on: arch)) { error in
                XCTAssertTrue("\(error)".contains("C/G = 6"), "\(error)")
            }
        }
        // The wgmma template packs them: two groups of 6 make a 12-channel GEMM, four the whole 24.
        let packs = try ImmaWgmmaConv3DTemplate.knobs(for: workload, on: .sm90a).last
        XCTAssertEqual(packs, .choice(name: "group_pack", values: [2, 4]))
        // Depthwise (C/G = 1) stays with the dw template.
        XCTAssertThrowsError(try ImmaConv3DTemplate.space(for: Self.conv(1, 32, 32, groups: 32, Extent3(uniform: 5)), on: .sm90)) { error in
            XCTAssertTrue("\(error)".contains("C/G = 1"), "\(error)")
        }
    }

    /// A 16-byte activation copy does not divide C/G = 8: the rule names both.
    func testActivationCopyWiderThanTheGroupIsAViolation() throws {
        let workload = Self.workloads[1].workload
        let config = ImmaConv3DConfig(blockM: 64, blockN: 16, blockK: 64, warpsM: 4, warpsN: 1, stages: 3, inputVectorBytes: 16)
        let found = try ImmaConv3DTemplate.violations(of: config, for: workload, on: .sm90)
        XCTAssertEqual(found, [.groupInputVector(bytes: 16, channels: 8)])
        XCTAssertTrue(found[0].description.contains("a_vector 16 bytes does not divide the 8 input channels of a group"), found[0].description)
        XCTAssertThrowsError(try ImmaConv3DTemplate.render(workload: workload, config: config, output: .int32)) { error in
            XCTAssertTrue("\(error)".contains("8 input channels of a group"), "\(error)")
        }
    }

    /// The grouped anchor layers all have a space and a valid default on sm_80, sm_90 and (wgmma) sm_90a.
    func testGroupedAnchorLayersHaveDefaults() throws {
        for layer in AnchorLayers.groupedSet() {
            for arch in [GPUArchitecture.sm80, .sm90] {
                let config = try ImmaConv3DTemplate.defaultConfig(for: layer.parameters, on: arch)
                XCTAssertEqual(try ImmaConv3DTemplate.violations(of: config, for: layer.parameters, on: arch), [], layer.name)
            }
            let config = try ImmaWgmmaConv3DTemplate.defaultConfig(for: layer.parameters, on: .sm90a)
            XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: layer.parameters, on: .sm90a), [], layer.name)
        }
        XCTAssertEqual(AnchorLayers.set(named: "grouped")?.map(\.name), AnchorLayers.groupedSet().map(\.name))
        XCTAssertEqual(AnchorLayers.set(named: "g32.c256")?.first?.parameters.groups, 32)
    }

    /// The rendered source of one grouped configuration (odd K/G, so the one-byte epilogue, and
    /// split-K), byte for byte. `Q3D_UPDATE_GOLDEN=1` rewrites it.
    func testGoldenSource() throws {
        let config = ImmaConv3DConfig(blockM: 64, blockN: 16, blockK: 64, warpsM: 4, warpsN: 1, stages: 3, splitK: 2, inputVectorBytes: 4, rasterGroup: 4)
        let kernel = try ImmaConv3DTemplate.render(
            workload: Self.workloads[5].workload, config: config, output: .int8(relu: true, residual: true))
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/imma_conv3d_grouped.cu")
        if ProcessInfo.processInfo.environment["Q3D_UPDATE_GOLDEN"] == "1" {
            try kernel.text.write(to: url, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(kernel.text, golden, "rendered source differs from \(url.path); Q3D_UPDATE_GOLDEN=1 rewrites it")
    }

    // MARK: - Emulation against the CPU reference

    /// The default configuration of every grouped anchor layer (chosen for the full-size layer on
    /// sm_90), on the layer's small twin, int32 and int8 with ReLU and residual; then uniformly
    /// sampled configurations of every twin's own sm_80 or sm_90 space with a random output kind.
    func testMmaSyncGroupedConfigurationsMatchTheReference() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
        var cases: [(String, Conv3DParameters, ImmaConv3DConfig, OutputKind)] = []
        for layer in AnchorLayers.groupedSet() {
            guard let twin = Self.workloads.first(where: { $0.name == layer.name }) else { continue }
            let config = try ImmaConv3DTemplate.defaultConfig(for: layer.parameters, on: .sm90)
            guard try ImmaConv3DTemplate.violations(of: config, for: twin.workload, on: .sm90).isEmpty else { continue }
            cases.append((layer.name, twin.workload, config, layer.name.hasPrefix("g32") ? .int32 : .int8(relu: true, residual: true)))
        }
        var rng = SeededGenerator(seed: 0x6_E3A1)
        cases += try ImmaEmulationTests.sampledCases(Self.workloads, using: &rng)
        try ImmaEmulationTests.emulate(cases)
    }

    /// Sampled configurations of every twin's sm_90a `wgmma` space, random output kinds.
    func testWgmmaGroupedConfigurationsMatchTheReference() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
        let perWorkload = Int(ProcessInfo.processInfo.environment["Q3D_IMMA_EMULATE"] ?? "") ?? 1
        var rng = SeededGenerator(seed: 0x6_36A1)
        var cases: [(String, Conv3DParameters, String, OutputKind, @Sendable () throws -> KernelSource)] = []
        for twin in Self.workloads {
            let space = try ImmaWgmmaConv3DTemplate.space(for: twin.workload, on: .sm90a)
            for point in space.sample(count: perWorkload, using: &rng) {
                let config = try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)
                let output = ImmaEmulationTests.outputs[Int.random(in: 0..<ImmaEmulationTests.outputs.count, using: &rng)]
                let workload = twin.workload
                cases.append((twin.name, workload, config.json, output, {
                    try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
                }))
            }
        }
        try ImmaEmulationTests.emulate(cases)
    }

    // MARK: - NVRTC

    /// Sampled grouped configurations (and the defaults) compile for sm_80 and sm_90 (`mma.sync`) and
    /// sm_90a (`wgmma`).
    func testGroupedConfigurationsCompile() throws {
        for arch in ["sm_80", "sm_90", "sm_90a"] where (try? NVRTC.library(for: arch)) == nil {
            throw XCTSkip("NVRTC for \(arch) not found")
        }
        let perArch = ImmaCompileSweepTests.count("Q3D_IMMA_SWEEP", default: 12)
        var rng = SeededGenerator(seed: 0x6_5EE9)
        var cases: [ImmaCompileSweepTests.Case] = []
        let outputs = ImmaEmulationTests.outputs
        for layer in AnchorLayers.groupedSet() + Self.workloads.map({ NamedConv3D($0.name + ".twin", $0.workload) }) {
            let workload = layer.parameters
            for arch in [GPUArchitecture.sm80, .sm90] {
                let space = try ImmaConv3DTemplate.space(for: workload, on: arch)
                var configs = [(try ImmaConv3DTemplate.defaultConfig(for: workload, on: arch), OutputKind.int8(relu: true, residual: false), true)]
                for point in space.sample(count: perArch, using: &rng) {
                    configs.append((try space.config(at: point, as: ImmaConv3DConfig.self), outputs[Int.random(in: 0..<outputs.count, using: &rng)], false))
                }
                for (config, output, isDefault) in configs {
                    cases.append(.init(name: layer.name, arch: arch.nvrtcArchitecture, config: config.description, output: output, isDefault: isDefault) {
                        try ImmaConv3DTemplate.render(workload: workload, config: config, output: output)
                    })
                }
            }
            let space = try ImmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            var configs = [(try ImmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90a), OutputKind.int8(relu: true, residual: false), true)]
            for point in space.sample(count: perArch / 2, using: &rng) {
                configs.append((try space.config(at: point, as: ImmaWgmmaConv3DConfig.self), outputs[Int.random(in: 0..<outputs.count, using: &rng)], false))
            }
            for (config, output, isDefault) in configs {
                cases.append(.init(name: layer.name, arch: "sm_90a", config: config.description, output: output, isDefault: isDefault) {
                    try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
                })
            }
        }
        try ImmaCompileSweepTests.compileAll(cases, label: "imma grouped")
    }
}
