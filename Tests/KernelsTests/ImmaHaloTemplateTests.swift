import ConvGeometry
import Foundation
@testable import Kernels
import Tensors
import XCTest

final class ImmaHaloTemplateTests: XCTestCase {
    /// The anchor layers the template applies to: stride and dilation 1, more than one tap.
    static let haloLayers = ["r3d.l1", "r3d.l2", "r3d.l3", "r3d.l4", "r2p1d.s", "r2p1d.t", "unet.64"]

    static var workloads: [(name: String, workload: Conv3DParameters)] {
        AnchorLayers.all().filter { haloLayers.contains($0.name) }.map { ($0.name, $0.parameters) }
            + ImmaHaloEmulationTests.oddWorkloads
    }

    func testSpacesExistOnlyOnSm90aForStrideOneUngroupedConvolutions() throws {
        let raw = ImmaHaloConv3DTemplate.knobs.map(\.candidateCount).reduce(1, *)
        XCTAssertEqual(raw, 4 * 4 * 3 * 14 * 4 * 3 * 3 * 2 * 2)
        for (name, workload) in Self.workloads {
            let space = try ImmaHaloConv3DTemplate.space(for: workload, on: .sm90a)
            XCTAssertEqual(space.rawSize, raw)
            XCTAssertGreaterThan(space.validCount(), 50, name)
            for arch in [GPUArchitecture.sm80, .sm90] {
                XCTAssertThrowsError(try ImmaHaloConv3DTemplate.space(for: workload, on: arch)) { error in
                    guard case KernelsError.unsupportedWorkload(_, let reason) = error else { return XCTFail("\(error)") }
                    XCTAssertTrue(reason.contains("sm_90a only"), reason)
                }
            }
        }
    }

    /// Stride, dilation, groups and 1x1x1 kernels are rejected with a reason that names the value.
    func testOtherWorkloadsAreRejectedWithNamedReasons() throws {
        var unsupported: [(Conv3DParameters, String)] = [
            (try XCTUnwrap(AnchorLayers.named("r3d.stem")).parameters, "stride 1x2x2"),
            (try XCTUnwrap(AnchorLayers.named("i3d.pw")).parameters, "kernel 1x1x1"),
            (ImmaEmulationTests.odd, "dilation 2x2x2"),
        ]
        unsupported.append((try Conv3DParameters(
            batch: 1, inputChannels: 64, outputChannels: 64, input: Extent3(uniform: 8), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))), groups: 4), "groups 4"))
        for (workload, reason) in unsupported {
            XCTAssertThrowsError(try ImmaHaloConv3DTemplate.space(for: workload, on: .sm90a)) { error in
                guard case KernelsError.unsupportedWorkload(let template, let message) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(template, ImmaHaloConv3DTemplate.name)
                XCTAssertTrue(message.hasPrefix(reason), "\(message) should start with \(reason)")
            }
            XCTAssertThrowsError(try ImmaHaloConv3DTemplate.defaultConfig(for: workload, on: .sm90a))
        }
    }

    func testValidityAgreesWithTheRulesAndValidPointsRender() throws {
        var rng = SeededGenerator(seed: 0x4A1)
        for (name, workload) in Self.workloads {
            let space = try ImmaHaloConv3DTemplate.space(for: workload, on: .sm90a)
            var valid = 0
            for _ in 0..<1000 {
                let point = try space.point(atRawIndex: Int.random(in: 0..<space.rawSize, using: &rng))
                let config = try space.config(at: point, as: ImmaHaloConv3DConfig.self)
                let violations = try ImmaHaloConv3DTemplate.violations(of: config, for: workload, on: .sm90a)
                XCTAssertEqual(space.isValid(point), violations.isEmpty, "\(name) \(config): \(violations)")
                if violations.isEmpty {
                    valid += 1
                    XCTAssertNoThrow(try ImmaHaloConv3DTemplate.render(workload: workload, config: config, output: .int32))
                }
            }
            XCTAssertGreaterThan(valid, 0, name)
            for point in space.sample(count: 20, using: &rng) {
                let config = try space.config(at: point, as: ImmaHaloConv3DConfig.self)
                XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: workload, on: .sm90a), [], "\(name) \(config)")
            }
        }
    }

    func testDefaultConfigurationsAreValidAndReuseTheHalo() throws {
        for (name, workload) in Self.workloads {
            let config = try ImmaHaloConv3DTemplate.defaultConfig(for: workload, on: .sm90a)
            XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: workload, on: .sm90a), [], name)
            XCTAssertTrue(try ImmaHaloConv3DTemplate.space(for: workload, on: .sm90a).contains(config), name)
        }
        let l1 = try XCTUnwrap(AnchorLayers.named("r3d.l1")).parameters
        let config = try ImmaHaloConv3DTemplate.defaultConfig(for: l1, on: .sm90a)
        XCTAssertEqual(config, ImmaHaloConv3DConfig(tileZ: 4, tileY: 8, tileX: 8, blockN: 64, channelBlock: 64, warpgroups: 1, stages: 4))
        // A block copies its 6x10x10 halo once and 27 weight tiles: 149 KB instead of 256 x 27 x 64 + 27 x 64 x 64.
        let plan = ImmaHaloConv3DPlan(geometry: try ImmaConv3DGeometry(l1), config: config)
        XCTAssertEqual(plan.haloBytesPerBlock, 6 * 10 * 10 * 64)
        XCTAssertEqual(plan.weightBytesPerBlock, 27 * 64 * 64)
        XCTAssertEqual(plan.blocks, 8 * 4 * 7 * 7)
    }

    /// With several channel blocks the next halo loads during the first taps - prefetch of the current
    /// one: a 3x1x1 filter over 144 channels leaves no tap for it with 5 stages (3 steps ahead).
    func testTheNextHaloNeedsATapToLoadIn() throws {
        let t = try XCTUnwrap(AnchorLayers.named("r2p1d.t")).parameters
        var config = ImmaHaloConv3DConfig(tileZ: 4, tileY: 4, tileX: 8, blockN: 64, channelBlock: 64, warpgroups: 2, stages: 4)
        XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: t, on: .sm90a), [])
        config.stages = 5
        XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: t, on: .sm90a), [.haloPipeline(stages: 5, taps: 3)])
        XCTAssertThrowsError(try ImmaHaloConv3DTemplate.render(workload: t, config: config, output: .int32)) { error in
            guard case KernelsError.configMismatch = error else { return XCTFail("\(error)") }
        }
        // One channel block (C = 64 in 64-byte blocks) has no next halo to load: 5 stages are fine with 9 taps or 3.
        let s = try XCTUnwrap(AnchorLayers.named("r2p1d.s")).parameters
        config = ImmaHaloConv3DConfig(tileZ: 2, tileY: 8, tileX: 8, blockN: 144, channelBlock: 64, warpgroups: 2, stages: 5)
        XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: s, on: .sm90a), [])
    }

    func testBoxesMustBeWholeWgmmaTilesPerWarpgroup() throws {
        let l1 = try XCTUnwrap(AnchorLayers.named("r3d.l1")).parameters
        var config = ImmaHaloConv3DConfig(tileZ: 1, tileY: 4, tileX: 16, blockN: 64, channelBlock: 64, warpgroups: 2, stages: 4)
        XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: l1, on: .sm90a), [.warpgroupRows(rows: 64, warpgroups: 2)])
        config.tileY = 2
        XCTAssertEqual(
            try ImmaHaloConv3DTemplate.violations(of: config, for: l1, on: .sm90a),
            [.boxRows(rows: 32, allowed: [64, 128, 256]), .warpgroupRows(rows: 32, warpgroups: 2)])
        XCTAssertThrowsError(try ImmaHaloConv3DTemplate.render(workload: l1, config: config, output: .int32))
        config.tileZ = 3
        XCTAssertThrowsError(try ImmaHaloConv3DTemplate.validate(config, for: l1, on: .sm90a)) { error in
            XCTAssertTrue("\(error)".contains("tile_z 3 is not one of [1, 2, 4, 8]"), "\(error)")
        }
    }

    /// Resident weights: every step's weight tile and two halos per warpgroup in shared memory, a persistent
    /// grid of 132 blocks per resident block and SM (at most one warpgroup per box), each warpgroup its own
    /// box (so 64 pixels with two warpgroups is fine), stages pinned to the first candidate, and layers whose
    /// weights cannot stay in shared memory refused by the shared-memory rule.
    func testResidentWeightsKeepEveryTileAndWalkBoxesPerWarpgroup() throws {
        let l1 = try XCTUnwrap(AnchorLayers.named("r3d.l1")).parameters
        var config = ImmaHaloConv3DConfig(
            tileZ: 4, tileY: 4, tileX: 8, blockN: 64, channelBlock: 64, warpgroups: 2, stages: 3, resident: 1)
        XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: l1, on: .sm90a), [])
        XCTAssertEqual(config.json.hasSuffix("\"resident\": 1}"), true)
        XCTAssertEqual(try JSONDecoder().decode(ImmaHaloConv3DConfig.self, from: Data(config.json.utf8)), config)
        let kernel = try ImmaHaloConv3DTemplate.render(workload: l1, config: config, output: .int8(relu: true, residual: false))
        // 27 taps x 64 filters x 64 bytes of weights, 4 halos of 6 x 6 x 10 pixels x 64 bytes, 1024 of alignment slack.
        XCTAssertEqual(kernel.dynamicSharedBytes, 27 * 64 * 64 + 4 * 360 * 64 + 1024)
        XCTAssertEqual(kernel.grid, LaunchDimensions(x: 132))
        XCTAssertEqual(kernel.block, LaunchDimensions(x: 256))
        XCTAssertTrue(kernel.text.contains("q3d_warpgroup_barrier(1 + warpgroup);"))
        XCTAssertTrue(kernel.text.contains("GRID_BLOCKS = 132"))
        XCTAssertFalse(kernel.text.contains("load_weights("), "no weight ring")
        // A box per warpgroup: 64 pixels with two warpgroups, which the streamed kernel refuses.
        config.tileZ = 2
        XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: l1, on: .sm90a), [])
        config.resident = 0
        XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: l1, on: .sm90a), [.warpgroupRows(rows: 64, warpgroups: 2)])
        config.resident = 1
        config.stages = 4
        XCTAssertEqual(try ImmaHaloConv3DTemplate.violations(of: config, for: l1, on: .sm90a), [.residentStages(stages: 4, expected: 3)])
        XCTAssertTrue(ImmaHaloViolation.residentStages(stages: 4, expected: 3).description.contains("stages 4"))
        // r3d.l2's 27 x 128 x 128 weight bytes (442 KB) cannot stay.
        let l2 = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters
        config = ImmaHaloConv3DConfig(tileZ: 2, tileY: 4, tileX: 8, blockN: 128, channelBlock: 128, warpgroups: 1, stages: 3, resident: 1)
        let violations = try ImmaHaloConv3DTemplate.violations(of: config, for: l2, on: .sm90a)
        XCTAssertTrue(violations.contains { if case .sharedMemory = $0 { return true } else { return false } }, "\(violations)")
        // The persistent grid never has more warpgroups than boxes: a twin with 8 boxes gets 4 blocks of two.
        let small = try Conv3DParameters(
            batch: 1, inputChannels: 16, outputChannels: 16, input: Extent3(4, 8, 16), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))
        config = ImmaHaloConv3DConfig(tileZ: 2, tileY: 4, tileX: 8, blockN: 16, channelBlock: 32, warpgroups: 2, stages: 3, resident: 1)
        XCTAssertEqual(try ImmaHaloConv3DTemplate.render(workload: small, config: config, output: .int32).grid, LaunchDimensions(x: 4))
    }

    func testTheInstructionTheLaunchAndTheEpilogueFollowTheConfiguration() throws {
        let l1 = try XCTUnwrap(AnchorLayers.named("r3d.l1")).parameters
        let config = ImmaHaloConv3DConfig(tileZ: 4, tileY: 8, tileX: 8, blockN: 64, channelBlock: 64, warpgroups: 2, stages: 4)
        let output = OutputKind.int8(relu: true, residual: true)
        let kernel = try ImmaHaloConv3DTemplate.render(workload: l1, config: config, output: output)
        XCTAssertEqual(kernel, try ImmaHaloConv3DTemplate.render(workload: l1, config: config, output: output))
        XCTAssertTrue(kernel.text.hasPrefix("// \(ImmaHaloConv3DTemplate.name) v\(ImmaHaloConv3DTemplate.version)"))
        XCTAssertTrue(kernel.text.contains("// config: \(config.json)"))
        XCTAssertTrue(kernel.text.contains("wgmma.mma_async.sync.aligned.m64n64k32.s32.s8.s8 {%0, %1,"))
        XCTAssertTrue(kernel.text.contains("%31}, {%32, %33, %34, %35}, %36, p;"))
        XCTAssertTrue(kernel.text.contains("setp.ne.b32 p, %37, 0;"))
        XCTAssertTrue(kernel.text.contains("constexpr unsigned long long SWIZZLE_MODE = 2;"))
        XCTAssertTrue(kernel.text.contains("const int m = row_pixel(frag_row0 + mi * FRAG_ROW_STEP + g + 8 * h);"))
        XCTAssertEqual(kernel.grid, LaunchDimensions(x: 8 * 4 * 7 * 7))
        XCTAssertEqual(kernel.block, LaunchDimensions(x: 256))
        // 4 weight stages of 64 x 64, one 6x10x10 halo of 64 bytes per pixel (one channel block), alignment.
        XCTAssertEqual(kernel.dynamicSharedBytes, 4 * 64 * 64 + 6 * 10 * 10 * 64 + 1024)
        XCTAssertEqual(kernel.parameters.map(\.role), [.input, .weight, .scale, .bias, .residual, .residualScale, .output])
    }

    /// Every sampled point has one finite value per feature name; the default box of r3d.l1 reads each
    /// halo pixel for 256 x 27 / 600 rows and taps.
    func testFeaturesAreFiniteAndNameTheHaloReuse() throws {
        var rng = SeededGenerator(seed: 0x4A1F)
        for (name, workload) in Self.workloads {
            let space = try ImmaHaloConv3DTemplate.space(for: workload, on: .sm90a)
            let features = try ImmaHaloConv3DTemplate.featureFunction(for: workload, on: .sm90a, space: space)
            let estimate = try ImmaHaloConv3DTemplate.estimateFunction(for: workload, on: .sm90a, space: space)
            for point in space.sample(count: 10, using: &rng) {
                let row = features(point)
                XCTAssertEqual(row.count, ImmaHaloConv3DTemplate.featureNames.count, name)
                XCTAssertTrue(row.allSatisfy(\.isFinite), "\(name): \(row)")
                XCTAssertTrue(estimate(point) > 0 && estimate(point).isFinite, name)
            }
        }
        let l1 = try XCTUnwrap(AnchorLayers.named("r3d.l1")).parameters
        let row = try ImmaHaloConv3DTemplate.features(
            of: try ImmaHaloConv3DTemplate.defaultConfig(for: l1, on: .sm90a), for: l1, on: .sm90a)
        let reuse = try XCTUnwrap(ImmaHaloConv3DTemplate.featureNames.firstIndex(of: "halo_reuse"))
        XCTAssertEqual(row[reuse], 256.0 * 27 / 600, accuracy: 1e-9)
    }
}
