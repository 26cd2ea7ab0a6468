import CPUKernels
import ConvGeometry
import Foundation
@testable import Kernels
import Tensors
import XCTest

final class DepthwiseTemplateTests: XCTestCase {
    static let archs: [GPUArchitecture] = [.sm61, .sm80, .sm90]
    static let outputs: [OutputKind] = [.int32, .int8(relu: true, residual: false), .int8(relu: false, residual: true)]

    static var workloads: [NamedConv3D] { AnchorLayers.depthwiseSet() }

    /// Every configuration of the product, checked one by one against the rules.
    static func allConfigs() -> [DepthwiseConv3DConfig] {
        var all: [DepthwiseConv3DConfig] = []
        for c in DepthwiseConv3DTemplate.channelValues {
            for t in DepthwiseConv3DTemplate.outputsWValues {
                for n in DepthwiseConv3DTemplate.threadsValues {
                    for tap in [false, true] {
                        for rows in [false, true] {
                            all.append(DepthwiseConv3DConfig(channels: c, outputsW: t, threads: n, tapDP4A: tap, unrollRows: rows))
                        }
                    }
                }
            }
        }
        return all
    }

    func testSpaceCountsExactlyTheConfigsThatPassTheRulesAndHoldsTheDefault() throws {
        XCTAssertEqual(DepthwiseConv3DTemplate.knobs.map(\.candidateCount).reduce(1, *), 3 * 4 * 4 * 2 * 2)
        for layer in Self.workloads {
            for arch in Self.archs {
                let space = try DepthwiseConv3DTemplate.space(for: layer.parameters, on: arch)
                var passing = 0
                for config in Self.allConfigs() {
                    let broken = (try? DepthwiseConv3DTemplate.validate(config, for: layer.parameters, on: arch)) == nil
                    if !broken { passing += 1 }
                    XCTAssertEqual(space.contains(config), !broken, "\(layer.name) \(arch) \(config)")
                }
                XCTAssertEqual(space.validCount(), passing, "\(layer.name) \(arch)")
                XCTAssertGreaterThan(passing, 10, "\(layer.name) \(arch)")
                let config = try DepthwiseConv3DTemplate.defaultConfig(for: layer.parameters, on: arch)
                XCTAssertTrue(space.contains(config), "\(layer.name) \(arch) default \(config)")
            }
        }
        // C = 54 packs to a pitch of 56: 16-channel vectors do not divide it.
        let c54 = try XCTUnwrap(Self.workloads.first { $0.name == "dw.c54" })
        XCTAssertThrowsError(
            try DepthwiseConv3DTemplate.validate(
                DepthwiseConv3DConfig(channels: 16, outputsW: 2, threads: 128), for: c54.parameters, on: .sm90)
        ) { error in
            XCTAssertTrue("\(error)".contains("channels 16 does not divide the packed channel pitch 56"), "\(error)")
        }
        // dp4a over the taps needs them to read consecutive inputs along W.
        let dilated = try XCTUnwrap(Self.workloads.first { $0.name == "dw.c21d2" })
        XCTAssertThrowsError(
            try DepthwiseConv3DTemplate.validate(
                DepthwiseConv3DConfig(channels: 4, outputsW: 2, threads: 128, tapDP4A: true), for: dilated.parameters, on: .sm90)
        ) { error in
            XCTAssertTrue("\(error)".contains("tap_dp4a needs consecutive taps along W; the W dilation is 2"), "\(error)")
        }
        // Logs written before the two knobs existed still decode, as the configs they ran.
        let old = try JSONDecoder().decode(
            DepthwiseConv3DConfig.self, from: Data(#"{"channels":8,"outputs_w":4,"threads":128}"#.utf8))
        XCTAssertEqual(old, DepthwiseConv3DConfig(channels: 8, outputsW: 4, threads: 128))
    }

    func testRejectsConvolutionsThatAreNotDepthwiseAndForeignKnobValues() throws {
        let dense = try XCTUnwrap(AnchorLayers.named("r3d.l1")).parameters
        XCTAssertThrowsError(try DepthwiseConv3DTemplate.space(for: dense, on: .sm90)) { error in
            XCTAssertTrue("\(error)".contains("groups 1, C 64, K 64"), "\(error)")
        }
        let multiplier = try Conv3DParameters(
            batch: 1, inputChannels: 8, outputChannels: 16, input: Extent3(uniform: 4), kernel: Extent3(uniform: 3), groups: 8)
        XCTAssertThrowsError(try DepthwiseConv3DTemplate.space(for: multiplier, on: .sm90))
        let layer = Self.workloads[0].parameters
        XCTAssertThrowsError(
            try DepthwiseConv3DTemplate.render(
                workload: layer, config: DepthwiseConv3DConfig(channels: 32, outputsW: 1, threads: 128), output: .int32)
        ) { error in
            XCTAssertTrue("\(error)".contains("channels 32 is not one of [4, 8, 16]"), "\(error)")
        }
    }

    func testRenderingIsDeterministicAndDescribesItsLaunchAndLayouts() throws {
        let layer = Self.workloads[1].parameters  // C = 96, stride 1,2,2: output 16x28x28
        let config = DepthwiseConv3DConfig(channels: 16, outputsW: 4, threads: 128)
        let output = OutputKind.int8(relu: true, residual: true)
        let a = try DepthwiseConv3DTemplate.render(workload: layer, config: config, output: output)
        let b = try DepthwiseConv3DTemplate.render(workload: layer, config: config, output: output)
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.text.hasPrefix("// dw_conv3d_ndhwc v2:"))
        XCTAssertTrue(a.text.contains("// config: \(config.json)"))
        // 8 x 16 x 28 pixel rows x 7 tiles of 4 along W x 6 vectors of 16 channels, 128 per block.
        XCTAssertEqual(a.grid, LaunchDimensions(x: (8 * 16 * 28 * 7 * 6 + 127) / 128))
        XCTAssertEqual(a.block, LaunchDimensions(x: 128))
        XCTAssertEqual(a.parameters.map(\.role), [.input, .weight, .scale, .bias, .residual, .residualScale, .output])
        XCTAssertEqual(a.parameters[1].kind, .buffer(element: .int8, count: 27 * 96, layout: .dhwo, writable: false))
        XCTAssertEqual(a.parameters[6].kind, .buffer(element: .int8, count: 8 * 16 * 28 * 28 * 96, layout: .ndhwc, writable: true))
        let other = try DepthwiseConv3DTemplate.render(workload: layer, config: config, output: .int32)
        XCTAssertNotEqual(a.name, other.name)
    }

    /// Every valid configuration of two small workloads (the odd one, and a C = 40 layer with a W
    /// stride of 2 and a 3x1x3 filter), run on the CPU by compiling the kernel text as C++ against a
    /// host prelude, equals the CPU convolution exactly, for the three outputs in turn.
    func testEmulatedKernelsEqualTheCPUConvolution() throws {
        guard let compiler = ImmaEmulationHarness.compiler else { throw XCTSkip("no C++ compiler for the host emulation") }
        let odd = try XCTUnwrap(Self.workloads.first { $0.name == "dw.c21d2" }).parameters
        let strided = try Conv3DParameters(
            batch: 2, inputChannels: 40, outputChannels: 40, input: Extent3(3, 5, 13), kernel: Extent3(3, 1, 3),
            stride: Extent3(1, 2, 2), padding: .explicit(Padding3D(front: 1, top: 0, left: 1, back: 1, bottom: 0, right: 2)),
            groups: 40)
        var kernels = 0
        for (w, workload) in [odd, strided].enumerated() {
            let problem = try DepthwiseEmulation.Problem(workload, seed: 7 + UInt64(w))
            let space = try DepthwiseConv3DTemplate.space(for: workload, on: .sm90)
            for (i, point) in space.allValidPoints().enumerated() where i % 2 == w % 2 {
                let config = try space.config(at: point, as: DepthwiseConv3DConfig.self)
                let output = Self.outputs[(i / 2) % Self.outputs.count]
                let kernel = try DepthwiseConv3DTemplate.render(workload: workload, config: config, output: output)
                let result = try DepthwiseEmulation.run(kernel, output: output, problem: problem, compiler: compiler)
                XCTAssertEqual(result.mismatches, 0, "\(workload) \(config) \(output) (seed \(problem.seed)): \(result.first ?? "")")
                kernels += 1
            }
        }
        print("depthwise emulation: \(kernels) kernels equal the CPU")
    }
}
