import ConvGeometry
import Foundation
@testable import Kernels
import Tensors
import XCTest

final class ImmaWgmmaTemplateTests: XCTestCase {
    func testSpacesExistOnlyOnSm90a() throws {
        let raw = ImmaWgmmaConv3DTemplate.knobs.map(\.candidateCount).reduce(1, *)
        XCTAssertEqual(raw, 4 * 14 * 3 * 3 * 3 * 6 * 2 * 8 * 4 * 4 * 2 * 2 * 2 * 2)
        for (name, workload) in ImmaTemplateTests.workloads {
            let space = try ImmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            XCTAssertEqual(space.rawSize, raw)
            XCTAssertGreaterThan(space.validCount(), 50, name)
            for arch in [GPUArchitecture.sm80, .sm90] {
                XCTAssertThrowsError(try ImmaWgmmaConv3DTemplate.space(for: workload, on: arch)) { error in
                    guard case KernelsError.unsupportedWorkload = error else { return XCTFail("\(error)") }
                }
            }
        }
    }

    func testValidityAgreesWithTheRulesAndValidPointsRender() throws {
        var rng = SeededGenerator(seed: 43)
        for (name, workload) in ImmaTemplateTests.workloads {
            let space = try ImmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            for _ in 0..<300 {
                let point = try space.point(atRawIndex: Int.random(in: 0..<space.rawSize, using: &rng))
                let config = try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)
                let violations = try ImmaWgmmaConv3DTemplate.violations(of: config, for: workload, on: .sm90a)
                XCTAssertEqual(space.isValid(point), violations.isEmpty, "\(name) \(config): \(violations)")
                if violations.isEmpty {
                    XCTAssertNoThrow(try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: .int32))
                }
            }
            for point in space.sample(count: 20, using: &rng) {
                let config = try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)
                XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: workload, on: .sm90a), [], "\(name) \(config)")
            }
        }
    }

    /// min_blocks 2 asks ptxas for two resident blocks, and the space admits it only where two blocks'
    /// shared memory and estimated registers fit one SM.
    func testTwoResidentBlocksNeedRoomForBoth() throws {
        let layer = AnchorLayers.named("r3d.l3")!.parameters
        var config = ImmaWgmmaConv3DConfig(
            blockM: 128, blockN: 128, blockK: 128, warpgroups: 2, stages: 3, wgmmaInFlight: 1, minBlocks: 2)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: layer, on: .sm90a), [])
        let kernel = try ImmaWgmmaConv3DTemplate.render(workload: layer, config: config, output: .int32)
        XCTAssertTrue(kernel.text.contains("__launch_bounds__(THREADS, 2)"))
        config.stages = 4  // 4 x 32 KiB + 1 KiB alignment: one block fills most of the SM
        let violations = try ImmaWgmmaConv3DTemplate.violations(of: config, for: layer, on: .sm90a)
        XCTAssertTrue(violations.contains { if case .occupancyShared = $0 { true } else { false } }, "\(violations)")
        config.minBlocks = 1
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: layer, on: .sm90a), [])
        config = ImmaWgmmaConv3DConfig(
            blockM: 256, blockN: 128, blockK: 64, warpgroups: 2, stages: 2, wgmmaInFlight: 0, minBlocks: 2)
        let registers = try ImmaWgmmaConv3DTemplate.violations(of: config, for: layer, on: .sm90a)
        XCTAssertTrue(registers.contains { if case .occupancyRegisters = $0 { true } else { false } }, "\(registers)")
    }

    func testDefaultConfigurationsAreValid() throws {
        for (name, workload) in ImmaTemplateTests.workloads {
            let config = try ImmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90a)
            XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: workload, on: .sm90a), [], name)
            XCTAssertTrue(try ImmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a).contains(config), name)
        }
    }

    func testTheInstructionAndTheDescriptorsFollowTheConfiguration() throws {
        let l2 = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters
        let config = ImmaWgmmaConv3DConfig(blockM: 128, blockN: 128, blockK: 64, warpgroups: 2, stages: 3, splitK: 2)
        let kernel = try ImmaWgmmaConv3DTemplate.render(workload: l2, config: config, output: .int8(relu: true, residual: false))
        XCTAssertEqual(kernel, try ImmaWgmmaConv3DTemplate.render(workload: l2, config: config, output: .int8(relu: true, residual: false)))
        XCTAssertTrue(kernel.text.hasPrefix("// \(ImmaWgmmaConv3DTemplate.name) v\(ImmaWgmmaConv3DTemplate.version)"))
        XCTAssertTrue(kernel.text.contains("wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 {%0, %1,"))
        XCTAssertTrue(kernel.text.contains("%63}, %64, %65, p;"))
        XCTAssertTrue(kernel.text.contains("constexpr unsigned long long SWIZZLE_MODE = 2;"))
        XCTAssertEqual(kernel.block, LaunchDimensions(x: 256))
        XCTAssertEqual(kernel.dynamicSharedBytes, 3 * 256 * 64 + 1024)
        XCTAssertEqual(kernel.parameters.map(\.role), [.input, .weight, .scale, .bias, .output, .workspace, .counters])
    }
}
