import ConvGeometry
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// The staged int8 epilogue of the `wgmma` template (`staged_output` 1): the output (and residual)
/// tile through shared memory, stored as whole vectors. Its rules and exact emulated runs for every
/// vector width, with split-K, persistence and partial tiles.
final class ImmaStagedOutputTests: XCTestCase {
    func testRulesAndRendering() throws {
        let l2 = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters
        var config = ImmaWgmmaConv3DConfig(
            blockM: 128, blockN: 128, blockK: 128, warpgroups: 2, stages: 3, wgmmaInFlight: 1, stagedOutput: 1)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: l2, on: .sm90a), [])
        let kernel = try ImmaWgmmaConv3DTemplate.render(workload: l2, config: config, output: .int8(relu: true, residual: true))
        XCTAssertTrue(kernel.text.contains("constexpr int OV = 16, ROW_VECTORS = BN / OV;"))
        XCTAssertTrue(kernel.text.contains("q3d_store_vector<OV>(output + m * OUT_PITCH + n, v);"))
        XCTAssertTrue(kernel.text.contains("q3d_load_vector<OV>(residual + m * OUT_PITCH + n, v);"))
        XCTAssertFalse(kernel.text.contains("q3d_store_u16(output"))
        // The staging area (2 x 128 x 128 bytes) fits in the 3-stage ring of 96 KiB: no more shared memory.
        XCTAssertEqual(kernel.dynamicSharedBytes, 3 * 256 * 128 + 1024)
        config.stages = 2
        config.blockK = 32
        config.wgmmaInFlight = 0
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.render(workload: l2, config: config, output: .int32).dynamicSharedBytes, 2 * 128 * 128 + 1024)
        let grouped = try XCTUnwrap(AnchorLayers.named("g4.c256")).parameters
        let onGroups = ImmaWgmmaConv3DConfig(blockM: 128, blockN: 64, blockK: 64, warpgroups: 2, stages: 3, stagedOutput: 1)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: onGroups, for: grouped, on: .sm90a), [.stagedGrouped(groups: 4)])
        var dense = onGroups
        dense.groupPack = 4  // all four groups in one GEMM: one row segment per pixel again
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: dense, for: grouped, on: .sm90a), [])
    }

    /// Staged configs are exact in the host emulation: output pitches of 144, 40, 8 and 36 channels
    /// (16-, 8-, 8- and 4-byte vectors), partial m-tiles, split-K, a persistent kernel, and every int8
    /// output kind; int32 output ignores the knob.
    func testStagedKernelsAreExactInTheEmulation() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
        func twin(_ name: String) throws -> Conv3DParameters {
            try XCTUnwrap(ImmaEmulationTests.smallTwins.first { $0.name == name }).workload
        }
        let narrow = try Conv3DParameters(
            batch: 2, inputChannels: 5, outputChannels: 6, input: Extent3(uniform: 4), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))
        let odd36 = try Conv3DParameters(
            batch: 1, inputChannels: 16, outputChannels: 36, input: Extent3(3, 7, 9), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))
        let base = ImmaWgmmaConv3DConfig(blockM: 64, blockN: 48, blockK: 32, warpgroups: 1, stages: 3, wgmmaInFlight: 1, inputVectorBytes: 4, stagedOutput: 1)
        var cases: [(String, Conv3DParameters, ImmaWgmmaConv3DConfig, OutputKind)] = []
        var s = base
        s.blockN = 144
        s.blockM = 128
        s.warpgroups = 2
        cases.append(("r2p1d.s", try twin("r2p1d.s"), s, .int8(relu: true, residual: true)))
        var split = s
        split.splitK = 3
        cases.append(("r2p1d.s split", try twin("r2p1d.s"), split, .int8(relu: false, residual: false)))
        var persistent = base
        persistent.blockN = 64
        persistent.persistent = 1
        cases.append(("r2p1d.t persistent", try twin("r2p1d.t"), persistent, .int8(relu: true, residual: true)))
        cases.append(("odd", ImmaEmulationTests.odd, base, .int8(relu: true, residual: true)))
        var small = base
        small.blockN = 16
        cases.append(("narrow", narrow, small, .int8(relu: false, residual: true)))
        cases.append(("odd36", odd36, base, .int8(relu: true, residual: false)))
        cases.append(("odd36 int32", odd36, base, .int32))
        for (name, workload, config, _) in cases {
            XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: workload, on: .sm90a), [], name)
        }
        try ImmaEmulationTests.emulate(cases.map { name, workload, config, output in
            (name, workload, config.json, output, { () throws -> KernelSource in
                try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
            })
        })
    }
}
