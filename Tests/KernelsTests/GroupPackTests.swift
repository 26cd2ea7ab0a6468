import CPUKernels
import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// Packing several narrow groups into one GEMM (`group_pack` of the wgmma template): the block-diagonal
/// regrouping of the weights leaves the convolution unchanged, the packed geometry is the grouped one of
/// G/P groups, the knob exists for grouped convolutions only and its configs read and print as before
/// when 1, and packed kernels are exact in the host emulation.
final class GroupPackTests: XCTestCase {
    func testRegroupedWeightsAreBlockDiagonalAndComputeTheSameConvolution() throws {
        let diagonal = try Conv3DParameters(
            batch: 1, inputChannels: 4, outputChannels: 4, input: Extent3(uniform: 3), kernel: Extent3(uniform: 1), groups: 4)
        XCTAssertEqual(try ConvWeights.regrouped([1, 2, 3, 4] as [Int8], parameters: diagonal, into: 1),
                       [1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4])
        XCTAssertEqual(try ConvWeights.regrouped([1, 2, 3, 4] as [Int8], parameters: diagonal, into: 2), [1, 0, 0, 2, 3, 0, 0, 4])
        XCTAssertThrowsError(try ConvWeights.regrouped([1, 2, 3, 4] as [Int8], parameters: diagonal, into: 3)) { error in
            XCTAssertEqual("\(error)", "the convolution's 4 groups cannot be regrouped into 3; expected a divisor of 4")
        }
        XCTAssertThrowsError(try ConvWeights.regrouped([1, 2, 3] as [Int8], parameters: diagonal, into: 1)) { error in
            XCTAssertTrue("\(error)".contains("weights has 3 values; expected 4"), "\(error)")
        }
        // 3 output channels per group, 8 groups of 2 input channels: every regrouping gives the same int32 result.
        let p = try Conv3DParameters(
            batch: 1, inputChannels: 16, outputChannels: 24, input: Extent3(3, 4, 5), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))), groups: 8)
        var rng = SeededGenerator(seed: 0x9AC)
        let x = (0..<p.inputShape.reduce(1, *)).map { _ in Int8.random(in: -127...127, using: &rng) }
        let w = (0..<p.weightShape.reduce(1, *)).map { _ in Int8.random(in: -127...127, using: &rng) }
        let expected = try ImmaTestProblem.reference(p, x, w)
        for groups in [4, 2, 1] {
            let q = try Conv3DParameters(
                batch: 1, inputChannels: 16, outputChannels: 24, input: Extent3(3, 4, 5), kernel: Extent3(uniform: 3),
                padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))), groups: groups)
            let regrouped = try ConvWeights.regrouped(w, parameters: p, into: groups)
            XCTAssertEqual(regrouped.count, q.weightShape.reduce(1, *))
            XCTAssertEqual(try ImmaTestProblem.reference(q, x, regrouped), expected, "into \(groups) groups")
        }
    }

    func testPackedGeometryIsTheGroupedOneOfFewerGroups() throws {
        let layer = try XCTUnwrap(AnchorLayers.named("g32.c256")).parameters  // C = K = 256, G = 32
        let eight = try ImmaConv3DGeometry(layer, groupPack: 8)
        XCTAssertEqual(eight.groups, 4)
        XCTAssertEqual(eight.reductionChannels, 64)
        XCTAssertEqual(eight.groupColumns, 64)
        XCTAssertEqual(eight.reduction, 27 * 64)
        XCTAssertEqual(eight.weightRows, 256)
        XCTAssertEqual(eight.inputVectorWidths, [4, 8, 16])
        let whole = try ImmaConv3DGeometry(layer, groupPack: 32)
        XCTAssertFalse(whole.isGrouped)
        XCTAssertEqual(whole.reductionChannels, 256)
        XCTAssertEqual(whole.weightElements, 256 * 27 * 256)
        XCTAssertThrowsError(try ImmaConv3DGeometry(layer, groupPack: 3)) { error in
            XCTAssertTrue("\(error)".contains("group_pack 3 does not divide the 32 groups"), "\(error)")
        }
        let config = ImmaWgmmaConv3DConfig(blockM: 128, blockN: 64, blockK: 128, warpgroups: 2, stages: 4, wgmmaInFlight: 1, groupPack: 8)
        let kernel = try ImmaWgmmaConv3DTemplate.render(workload: layer, config: config, output: .int8(relu: true, residual: false))
        XCTAssertEqual(kernel.parameters[1].weightGroups, 4)
        XCTAssertEqual(kernel.parameters[1].kind, .buffer(element: .int8, count: 256 * 27 * 64, layout: .odhwi, writable: false))
        XCTAssertTrue(kernel.text.contains("GROUPS = 4, GROUP_C = 64, GROUP_K = 64"))
        XCTAssertTrue(kernel.text.contains("// Groups packed: 8 of the convolution's 32 groups share a GEMM"))
        XCTAssertTrue(kernel.text.contains("\"group_pack\": 8"))
        let plain = try ImmaWgmmaConv3DTemplate.render(
            workload: layer, config: ImmaWgmmaConv3DConfig(blockM: 128, blockN: 16, blockK: 32, warpgroups: 2, stages: 4, inputVectorBytes: 8),
            output: .int32)
        XCTAssertNil(plain.parameters[1].weightGroups)
        XCTAssertFalse(plain.text.contains("group_pack"))
    }

    /// Grouped spaces end with `group_pack`; ungrouped ones keep their knobs; the default packs narrow
    /// groups to 64 channels and leaves wide ones alone; validity agrees with the rules, packs included.
    func testTheKnobAndTheDefaults() throws {
        let l2 = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.knobs(for: l2, on: .sm90a), ImmaWgmmaConv3DTemplate.knobs)
        let expectations: [(String, [Int], Int)] = [
            ("g32.c128", [1, 2, 4, 8, 16, 32], 16), ("g32.c256", [1, 2, 4, 8, 16, 32], 8), ("g32.c512s2", [1, 2, 4, 8, 16], 4),
            ("g4.c256", [1, 2, 4], 1), ("g2.c24k40d2", [1, 2], 2), ("g4.c48k36s2", [1, 2, 4], 4),
        ]
        var rng = SeededGenerator(seed: 0x9AD)
        for (name, packs, preferred) in expectations {
            let layer = try XCTUnwrap(AnchorLayers.named(name)).parameters
            XCTAssertEqual(try ImmaWgmmaConv3DTemplate.knobs(for: layer, on: .sm90a).last, .choice(name: "group_pack", values: packs), name)
            let config = try ImmaWgmmaConv3DTemplate.defaultConfig(for: layer, on: .sm90a)
            XCTAssertEqual(config.groupPack, preferred, name)
            let space = try ImmaWgmmaConv3DTemplate.space(for: layer, on: .sm90a)
            XCTAssertTrue(space.contains(config), name)
            for _ in 0..<200 {
                let point = try space.point(atRawIndex: Int.random(in: 0..<space.rawSize, using: &rng))
                let sampled = try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)
                let violations = try ImmaWgmmaConv3DTemplate.violations(of: sampled, for: layer, on: .sm90a)
                XCTAssertEqual(space.isValid(point), violations.isEmpty, "\(name) \(sampled): \(violations)")
            }
            var odd = config
            odd.groupPack = 3
            XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: odd, for: layer, on: .sm90a), [.groupPack(3, candidates: packs)], name)
        }
    }

    func testConfigsWithoutThePackReadAndPrintAsBefore() throws {
        let old = #"{"a_vector":16,"block_k":128,"block_m":128,"block_n":64,"min_blocks":1,"raster_group":1,"split_k":1,"stages":4,"warpgroups":2,"wgmma_in_flight":1}"#
        let config = try JSONDecoder().decode(ImmaWgmmaConv3DConfig.self, from: Data(old.utf8))
        XCTAssertEqual(config.groupPack, 1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        XCTAssertEqual(String(decoding: try encoder.encode(config), as: UTF8.self), old)
        XCTAssertFalse(config.json.contains("group_pack"))
        var packed = config
        packed.groupPack = 8
        let text = String(decoding: try encoder.encode(packed), as: UTF8.self)
        XCTAssertTrue(text.contains(#""group_pack":8"#), text)
        XCTAssertEqual(try JSONDecoder().decode(ImmaWgmmaConv3DConfig.self, from: Data(text.utf8)), packed)
    }

    /// For every grouped twin, a config of each of two random packs P > 1 (their smallest shapes, so
    /// that the emulation takes seconds) runs exactly in the host emulation.
    func testPackedKernelsAreExactInTheEmulation() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
        var rng = SeededGenerator(seed: 0x9AE)
        var cases: [(String, Conv3DParameters, String, OutputKind, @Sendable () throws -> KernelSource)] = []
        for twin in ImmaGroupedTests.workloads {
            let space = try ImmaWgmmaConv3DTemplate.space(for: twin.workload, on: .sm90a)
            let packs = try ImmaWgmmaConv3DTemplate.rules(for: twin.workload, on: .sm90a).groupPacks.filter { $0 > 1 }
            for pack in packs.shuffled(using: &rng).prefix(2) {
                let candidates = space.sample(count: 400, using: &rng).compactMap {
                    try? space.config(at: $0, as: ImmaWgmmaConv3DConfig.self)
                }.filter { $0.groupPack == pack }
                guard let config = candidates.min(by: { $0.blockM * $0.blockN < $1.blockM * $1.blockN }) else {
                    XCTFail("\(twin.name): no sampled config packs \(pack)")
                    continue
                }
                let output = ImmaEmulationTests.outputs[Int.random(in: 0..<ImmaEmulationTests.outputs.count, using: &rng)]
                let workload = twin.workload
                cases.append((twin.name, workload, config.json, output, {
                    try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
                }))
            }
        }
        XCTAssertGreaterThanOrEqual(cases.count, 12)
        try ImmaEmulationTests.emulate(cases)
    }
}
