import ConvGeometry
import Foundation
@testable import Kernels
import Tensors
import XCTest

final class HmmaTemplateTests: XCTestCase {
    /// The imma test workloads: the nine anchor layers (the C = 3 stem has an 8-byte fp16 pixel pitch)
    /// and the odd one.
    static var workloads: [(name: String, workload: Conv3DParameters)] { ImmaTemplateTests.workloads }

    func testGeometryCountsBytesTwoPerPaddedChannel() throws {
        let stem = try XCTUnwrap(AnchorLayers.named("r3d.stem")).parameters  // C = 3, K = 64, 3x7x7
        let g = try ImmaConv3DGeometry(halfPrecision: stem)
        XCTAssertEqual(g.inputPitch, 8)  // C = 3 -> 4 channels, 8 bytes
        XCTAssertEqual(g.outputPitch, 64)
        XCTAssertEqual(g.reduction, 3 * 7 * 7 * 8)
        XCTAssertEqual(g.inputVectorWidths, [4, 8])
        let odd = try Conv3DParameters(
            batch: 1, inputChannels: 5, outputChannels: 6, input: Extent3(uniform: 4), kernel: Extent3(uniform: 3))
        let h = try ImmaConv3DGeometry(halfPrecision: odd)
        XCTAssertEqual(h.inputPitch, 12)  // 6 channels of 2 bytes
        XCTAssertEqual(h.outputPitch, 8)
        XCTAssertEqual(h.weightVectorBytes, 4)  // 27 x 12 = 324 bytes: 4 divides, 8 does not
    }

    func testSpacesHoldTheirDefaultsWhichPassTheRules() throws {
        for (name, workload) in Self.workloads {
            for arch in ImmaTemplateTests.archs {
                let space = try HmmaConv3DTemplate.space(for: workload, on: arch)
                XCTAssertGreaterThan(space.validCount(), 100, "\(name) \(arch)")
                let config = try HmmaConv3DTemplate.defaultConfig(for: workload, on: arch)
                XCTAssertTrue(space.contains(config), "\(name) \(arch) default \(config)")
                XCTAssertNoThrow(try HmmaConv3DTemplate.validate(config, for: workload, on: arch), "\(name) \(arch)")
            }
        }
    }

    func testRejectsGroupedWorkloadsOldArchitecturesAndBrokenConfigs() throws {
        let grouped = try Conv3DParameters(
            batch: 1, inputChannels: 8, outputChannels: 16, input: Extent3(uniform: 4), kernel: Extent3(uniform: 3), groups: 2)
        XCTAssertThrowsError(try HmmaConv3DTemplate.space(for: grouped, on: .sm90)) { error in
            XCTAssertTrue("\(error)".contains("groups 2"), "\(error)")
        }
        let layer = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters
        XCTAssertThrowsError(try HmmaConv3DTemplate.space(for: layer, on: .sm61)) { error in
            XCTAssertTrue("\(error)".contains("sm_80 or later"), "\(error)")
        }
        let stem = try XCTUnwrap(AnchorLayers.named("r3d.stem")).parameters
        let config = ImmaConv3DConfig(blockM: 64, blockN: 64, blockK: 64, warpsM: 2, warpsN: 2, stages: 3, inputVectorBytes: 16)
        XCTAssertThrowsError(try HmmaConv3DTemplate.render(workload: stem, config: config, output: .float32(relu: false))) { error in
            XCTAssertTrue("\(error)".contains("a_vector 16 does not divide the input pitch of 8 bytes"), "\(error)")
        }
    }

    func testRenderingDeclaresFp16OperandsAndFloatOutputs() throws {
        let layer = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters  // C = K = 128
        let config = ImmaConv3DConfig(blockM: 128, blockN: 128, blockK: 64, warpsM: 2, warpsN: 2, stages: 3, splitK: 2)
        let a = try HmmaConv3DTemplate.render(workload: layer, config: config, output: .float16(relu: true))
        let b = try HmmaConv3DTemplate.render(workload: layer, config: config, output: .float16(relu: true))
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.text.hasPrefix("// hmma_conv3d_ndhwc v1:"))
        XCTAssertTrue(a.text.contains("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"))
        XCTAssertTrue(a.text.contains("v0 = fmaxf(v0, 0.0f);"))
        XCTAssertEqual(a.parameters.map(\.role), [.input, .weight, .bias, .output, .workspace, .counters])
        let m = layer.batch * layer.output.volume
        XCTAssertEqual(a.parameters[0].kind, .buffer(element: .float16, count: layer.batch * layer.input.volume * 128, layout: .ndhwc, writable: false))
        XCTAssertEqual(a.parameters[1].kind, .buffer(element: .float16, count: 128 * 27 * 128, layout: .odhwi, writable: false))
        XCTAssertEqual(a.parameters[3].kind, .buffer(element: .float16, count: m * 128, layout: .ndhwc, writable: true))
        XCTAssertEqual(a.grid, LaunchDimensions(x: (m + 127) / 128, y: 2))
        let plain = try HmmaConv3DTemplate.render(
            workload: layer, config: ImmaConv3DConfig(blockM: 128, blockN: 128, blockK: 64, warpsM: 2, warpsN: 2, stages: 3),
            output: .float32(relu: false))
        XCTAssertEqual(plain.parameters.map(\.role), [.input, .weight, .bias, .output])
        XCTAssertEqual(plain.parameters[3].kind, .buffer(element: .float32, count: m * 128, layout: .ndhwc, writable: true))
        XCTAssertFalse(plain.text.contains("fmaxf"))
        XCTAssertNotEqual(a.name, plain.name)
        XCTAssertEqual(HmmaOutput(.int32), .float32(relu: false))
        XCTAssertEqual(HmmaOutput(.int8(relu: true, residual: false)), .float16(relu: true))
    }
}
