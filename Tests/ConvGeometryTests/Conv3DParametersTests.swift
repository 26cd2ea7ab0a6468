import Foundation
import XCTest
@testable import ConvGeometry

final class Conv3DParametersTests: XCTestCase {
    func testAnchorLayerFLOPsMatchANCHORS() {
        // GFLOP column of shared/ANCHORS.md, rounded to 0.1.
        let expected: [String: Double] = [
            "r3d.stem": 22.7, "r3d.l1": 88.8, "r3d.l2": 44.4, "r3d.l3": 22.2, "r3d.l4": 11.1,
            "r2p1d.s": 66.6, "r2p1d.t": 22.2, "i3d.pw": 1.6, "unet.64": 58.0,
        ]
        for layer in AnchorLayers.all() {
            let gflop = Double(layer.parameters.flops) / 1e9
            XCTAssertEqual(gflop, expected[layer.name]!, accuracy: 0.051, layer.name)
        }
        XCTAssertEqual(AnchorLayers.named("r3d.stem")?.parameters.output, Extent3(16, 56, 56))
        // Every named workload resolves by name (what --layer takes), with its batch override.
        XCTAssertEqual(AnchorLayers.named("dw.c96", batch: 2)?.parameters.groups, 96)
        XCTAssertEqual(AnchorLayers.named("dw.c96", batch: 2)?.parameters.batch, 2)
        XCTAssertEqual(AnchorLayers.named("odd.c24k40d2")?.parameters.dilation, Extent3(uniform: 2))
        XCTAssertNil(AnchorLayers.named("r3d.l5"))
        XCTAssertEqual(AnchorLayers.verificationSet().map(\.name), ["r3d.l1", "r2p1d.t", "r3d.stem", "odd.c24k40d2"])
        XCTAssertEqual(Set(AnchorLayers.everyNamed().map(\.name)).count, AnchorLayers.everyNamed().count, "names are unique")
    }

    func testOutputExtentFollowsTheFormulaOnEveryAxis() throws {
        let p = try Conv3DParameters(
            batch: 2, inputChannels: 3, outputChannels: 5, input: Extent3(9, 10, 11), kernel: Extent3(2, 3, 4),
            stride: Extent3(1, 2, 3), dilation: Extent3(2, 1, 2),
            padding: .explicit(Padding3D([0, 1, 2, 1, 0, 3])))
        // floor((in + pads - dil*(k-1) - 1)/stride) + 1
        XCTAssertEqual(p.output, Extent3((9 + 1 - 2 - 1) / 1 + 1, (10 + 1 - 2 - 1) / 2 + 1, (11 + 5 - 6 - 1) / 3 + 1))
        XCTAssertEqual(p.flops, 2 * 2 * 5 * p.output.volume * 3 * 24)
        XCTAssertEqual(p.gemm, GemmShape(m: 2 * p.output.volume, n: 5, k: 72))
    }

    func testSamePaddingGivesCeilOfInputOverStride() throws {
        for (rule, extraAtEnd) in [(PaddingRule.sameUpper, true), (.sameLower, false)] {
            let p = try Conv3DParameters(
                batch: 1, inputChannels: 1, outputChannels: 1, input: Extent3(7, 8, 5), kernel: Extent3(2, 3, 4),
                stride: Extent3(2, 2, 1), padding: rule)
            XCTAssertEqual(p.output, Extent3(4, 4, 5))
            // depth: (4-1)*2 + 2 - 7 = 1 extra; height: 3*2+3-8 = 1; width: 4*1+4-5 = 3.
            XCTAssertEqual(p.padding.before.array.reduce(0, +) + p.padding.after.array.reduce(0, +), 5)
            if extraAtEnd {
                XCTAssertEqual(p.padding, try Padding3D([0, 0, 1, 1, 1, 2]))
            } else {
                XCTAssertEqual(p.padding, try Padding3D([1, 1, 2, 0, 0, 1]))
            }
        }
        let valid = try Conv3DParameters(
            batch: 1, inputChannels: 1, outputChannels: 1, input: Extent3(uniform: 5), kernel: Extent3(uniform: 3),
            padding: .valid)
        XCTAssertEqual(valid.output, Extent3(uniform: 3))
    }

    func testErrorsNameTheBadValues() {
        func message(_ body: () throws -> Conv3DParameters) -> String {
            do {
                _ = try body()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(
            message {
                try Conv3DParameters(
                    batch: 1, inputChannels: 6, outputChannels: 8, input: Extent3(uniform: 4),
                    kernel: Extent3(uniform: 1), groups: 4)
            }, "input channels 6 are not divisible by groups 4")
        XCTAssertEqual(
            message {
                try Conv3DParameters(
                    batch: 1, inputChannels: 4, outputChannels: 6, input: Extent3(uniform: 4),
                    kernel: Extent3(uniform: 1), groups: 4)
            }, "output channels 6 are not divisible by groups 4")
        XCTAssertEqual(
            message {
                try Conv3DParameters(
                    batch: 1, inputChannels: 1, outputChannels: 1, input: Extent3(2, 5, 5), kernel: Extent3(3, 1, 1))
            }, "output depth would be 0 (D=2, kd=3, pads 0+0)")
        XCTAssertEqual(
            message {
                try Conv3DParameters(
                    batch: 0, inputChannels: 1, outputChannels: 1, input: Extent3(uniform: 2), kernel: Extent3(uniform: 1))
            }, "batch N is 0; expected a positive value")
        XCTAssertEqual(
            message {
                try Conv3DParameters(
                    batch: 1, inputChannels: 1, outputChannels: 1, input: Extent3(uniform: 2), kernel: Extent3(uniform: 1),
                    stride: Extent3(1, 0, 1))
            }, "stride height is 0; expected a positive value")
        XCTAssertEqual(
            message {
                try Conv3DParameters(
                    batch: 1, inputChannels: 1, outputChannels: 1, input: Extent3(uniform: 2), kernel: Extent3(uniform: 1),
                    padding: .explicit(Padding3D([0, 0, 0, 0, -1, 0])))
            }, "padding bottom is -1; expected 0 or more")
        XCTAssertEqual(
            message {
                try Conv3DParameters(
                    batch: 1, inputChannels: 1, outputChannels: 1, input: Extent3(5, 5, 2), kernel: Extent3(1, 1, 2),
                    dilation: Extent3(1, 1, 2))
            }, "output width would be 0 (W=2, kw=2, dilation 2, pads 0+0)")
        XCTAssertThrowsError(try Padding3D([1, 2])) { XCTAssertEqual("\($0)", "padding has 2 values; expected 1, 3 or 6") }
        XCTAssertThrowsError(try Extent3([1, 2], name: "stride")) { XCTAssertEqual("\($0)", "stride has 2 values; expected 1 or 3") }
    }

    func testInt8AccumulationLimit() throws {
        let ok = try Conv3DParameters(
            batch: 1, inputChannels: 4095, outputChannels: 1, input: Extent3(uniform: 4), kernel: Extent3(2, 4, 4))
        XCTAssertNoThrow(try ok.checkInt8Accumulation())  // 131,040 products of at most 2^14
        // 131,072 products of (-128)·(-128) sum to 2^31, one past Int32.max.
        let tooLong = try Conv3DParameters(
            batch: 1, inputChannels: 4096, outputChannels: 1, input: Extent3(uniform: 4), kernel: Extent3(2, 4, 4))
        XCTAssertThrowsError(try tooLong.checkInt8Accumulation())
    }

    func testCodableRoundTripAndValidation() throws {
        let p = AnchorLayers.named("r3d.stem")!.parameters
        let data = try JSONEncoder().encode(p)
        XCTAssertEqual(try JSONDecoder().decode(Conv3DParameters.self, from: data), p)
        var text = String(decoding: data, as: UTF8.self)
        text = text.replacingOccurrences(of: "\"groups\":1", with: "\"groups\":2")
        XCTAssertThrowsError(try JSONDecoder().decode(Conv3DParameters.self, from: Data(text.utf8)))
    }

    func testEpilogueRoundsHalfToEvenAndSaturates() {
        let e = Epilogue(scale: [0.5, 1], bias: [0, -0.5], relu: false)
        XCTAssertEqual(e.apply(5, channel: 0), 2)     // 2.5 -> 2
        XCTAssertEqual(e.apply(7, channel: 0), 4)     // 3.5 -> 4
        XCTAssertEqual(e.apply(-5, channel: 0), -2)   // -2.5 -> -2
        XCTAssertEqual(e.apply(1000, channel: 1), 127)
        XCTAssertEqual(e.apply(-1000, channel: 1), -128)
        let r = Epilogue(scale: [1], bias: [0], relu: true, residualScale: 0.25)
        XCTAssertEqual(r.apply(-10, channel: 0, residual: 8), 0)   // -10 + 2 -> ReLU
        XCTAssertEqual(r.apply(10, channel: 0, residual: 6), 12)  // 10 + 1.5 = 11.5 -> 12
    }
}
