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

extension HmmaTemplateTests {
    /// Sampled configurations of three small workloads (the odd one: C = 24, K = 40, dilation 2,
    /// asymmetric padding; a C = 3 stem with stride 1,2,2; C = 5, K = 6, whose 324-byte weight rows take
    /// 4-byte copies), each with a split-K config among them, run in the host emulation for the four
    /// outputs in turn, equal the float64 convolution within the KernelCheck tolerance.
    func testEmulatedKernelsMatchTheFloatConvolution() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler for the host emulation") }
        let stem = try Conv3DParameters(
            batch: 1, inputChannels: 3, outputChannels: 16, input: Extent3(3, 12, 12), kernel: Extent3(3, 5, 5),
            stride: Extent3(1, 2, 2), padding: .explicit(Padding3D(symmetric: Extent3(1, 2, 2))))
        let narrow = try Conv3DParameters(
            batch: 2, inputChannels: 5, outputChannels: 6, input: Extent3(uniform: 4), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))
        var rng = SeededGenerator(seed: 0xE16)
        var kernels = 0
        for (w, workload) in [ImmaEmulationTests.odd, stem, narrow].enumerated() {
            let space = try HmmaConv3DTemplate.space(for: workload, on: .sm90)
            var configs = [try HmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90)]
            configs += try space.sample(count: 3, using: &rng).map { try space.config(at: $0, as: ImmaConv3DConfig.self) }
            if !configs.contains(where: { $0.splitK > 1 }) {
                var split = configs[0]
                split.splitK = 2
                if space.contains(split) { configs.append(split) }
            }
            for (i, config) in configs.enumerated() {
                let output = HmmaCompileSweepTests.outputs[(i + w) % HmmaCompileSweepTests.outputs.count].1
                let kernel = try HmmaConv3DTemplate.render(workload: workload, config: config, output: output)
                let seed = UInt64(100 + 10 * w + i)
                let outcome = try HmmaEmulation.run(kernel, output: output, workload: workload, seed: seed)
                XCTAssertEqual(outcome.mismatches, 0, "\(workload) [\(config)] \(output) seed \(seed): \(outcome.first ?? "")")
                kernels += 1
            }
        }
        print("hmma emulation: \(kernels) kernels within tolerance of the float64 convolution")
    }
}
