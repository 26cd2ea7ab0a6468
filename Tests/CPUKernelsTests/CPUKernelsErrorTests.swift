import ConvGeometry
import CPUKernels
import Tensors
import XCTest

/// Bad operands are refused with messages that name the bad value, before any kernel runs.
final class CPUKernelsErrorTests: XCTestCase {
    private let p = try! Conv3DParameters(
        batch: 1, inputChannels: 8, outputChannels: 4, input: Extent3(uniform: 4), kernel: Extent3(uniform: 3),
        padding: .explicit(Padding3D([1])))

    private func message<T>(_ body: () throws -> T) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testWrongInputChannelsIsNamed() throws {
        let x = try Tensor<Int8>(shape: [1, 6, 4, 4, 4], repeating: 1)
        let w = try Tensor<Int8>(shape: p.weightShape, repeating: 1)
        let expected = "input has shape [1, 6, 4, 4, 4], expected [N, C, D, H, W] = [1, 8, 4, 4, 4]: C is 6, expected 8"
        XCTAssertEqual(message { try ReferenceConv3D.conv3d(x, w, parameters: p) }, expected)
        XCTAssertEqual(message { try FastConv3D.conv3d(x, w, parameters: p) }, expected)
        let xf = try Tensor<Float>(shape: [1, 6, 4, 4, 4], repeating: 1)
        let wf = try Tensor<Float>(shape: p.weightShape, repeating: 1)
        XCTAssertEqual(message { try FastConv3D.conv3d(xf, wf, parameters: p) }, expected)
    }

    func testWrongWeightShapeRankAndLayout() throws {
        let x = try Tensor<Int8>(shape: p.inputShape, repeating: 1)
        let w = try Tensor<Int8>(shape: [4, 8, 3, 3, 2], repeating: 1)
        XCTAssertEqual(
            message { try ReferenceConv3D.conv3d(x, w, parameters: p) },
            "weight has shape [4, 8, 3, 3, 2], expected [K, C/g, kd, kh, kw] = [4, 8, 3, 3, 3]: kw is 2, expected 3")
        let flat = try Tensor<Int8>(shape: [4, 8, 27], repeating: 1)
        XCTAssertEqual(
            message { try PackedConv3DWeights(flat, parameters: p) },
            "weight has 3 dimensions [4, 8, 27]; expected [K, C/g, kd, kh, kw] = [4, 8, 3, 3, 3]")
        let channelsLast = try Tensor<Int8>(shape: p.weightShape, layout: .odhwi, repeating: 1)
        XCTAssertEqual(
            message { try PackedConv3DWeights(channelsLast, parameters: p) },
            "weight is in layout ODHWI; expected OIDHW")
        let ndhwc = try Tensor<Float>(shape: p.inputShape, layout: .ndhwc, repeating: 1)
        let wf = try Tensor<Float>(shape: p.weightShape, repeating: 1)
        XCTAssertEqual(
            message { try ReferenceConv3D.conv3d(ndhwc, wf, parameters: p) },
            "input is in layout NDHWC; expected NCDHW")
    }

    func testPerChannelCountsAndResidual() throws {
        let x = try Tensor<Int8>(shape: p.inputShape, repeating: 1)
        let w = try PackedConv3DWeights(try Tensor<Int8>(shape: p.weightShape, repeating: 1), parameters: p)
        let four = [Float](repeating: 1, count: 4)
        XCTAssertEqual(
            message { try FastConv3D.conv3d(x, w, parameters: p, epilogue: Epilogue(scale: [1, 2, 3], bias: four)) },
            "epilogue scale has 3 values; expected one per output channel, 4")
        XCTAssertEqual(
            message { try FastConv3D.conv3d(x, w, parameters: p, epilogue: Epilogue(scale: four, bias: [])) },
            "epilogue bias has 0 values; expected one per output channel, 4")
        XCTAssertEqual(
            message {
                try FastConv3D.conv3d(
                    x, w, parameters: p, epilogue: Epilogue(scale: four, bias: four, residualScale: 1))
            },
            "the epilogue has a residual scale but no residual tensor was given")
        let residual = try Tensor<Int8>(shape: p.outputShape, repeating: 1)
        XCTAssertEqual(
            message {
                try FastConv3D.conv3d(
                    x, w, parameters: p, epilogue: Epilogue(scale: four, bias: four), residual: residual)
            },
            "a residual tensor was given but the epilogue has no residual scale")
        let shortResidual = try Tensor<Int8>(shape: [1, 4, 4, 4, 3], repeating: 1)
        XCTAssertEqual(
            message {
                try FastConv3D.conv3d(
                    x, w, parameters: p, epilogue: Epilogue(scale: four, bias: four, residualScale: 1),
                    residual: shortResidual)
            },
            "residual has shape [1, 4, 4, 4, 3], expected [N, K, Do, Ho, Wo] = [1, 4, 4, 4, 4]: Wo is 3, expected 4")
        let xf = try Tensor<Float>(shape: p.inputShape, repeating: 1)
        let wf = try Tensor<Float>(shape: p.weightShape, repeating: 1)
        XCTAssertEqual(
            message { try ReferenceConv3D.conv3d(xf, wf, bias: [1], parameters: p) },
            "bias has 1 values; expected one per output channel, 4")
        let acc = try Tensor<Int32>(shape: [4, 4], repeating: 1)
        XCTAssertEqual(
            message { try Epilogue(scale: four, bias: four).apply(to: acc) },
            "accumulators has shape [4, 4]; expected 5 dimensions [N, K, Do, Ho, Wo]")
    }

    func testPackedWeightsForAnotherConvolution() throws {
        let other = try Conv3DParameters(
            batch: 1, inputChannels: 8, outputChannels: 4, input: Extent3(uniform: 4), kernel: Extent3(1, 3, 3),
            padding: .explicit(Padding3D([1])))
        let weight = try Tensor<Int8>(shape: other.weightShape, repeating: 1)
        let packed = try PackedConv3DWeights(weight, parameters: other)
        let x = try Tensor<Int8>(shape: p.inputShape, repeating: 1)
        XCTAssertEqual(
            message { try FastConv3D.conv3d(x, packed, parameters: p) },
            "weights were packed for K=4, C/g=8, groups 1, kernel 1x3x3; "
                + "the convolution has K=4, C/g=8, groups 1, kernel 3x3x3")
    }

    func testAccumulatorOverflowIsRefused() throws {
        // C/g·kd·kh·kw = 16,385·8 = 131,080 > 131,071 = Int32.max / 2^14.
        let big = try Conv3DParameters(
            batch: 1, inputChannels: 16_385, outputChannels: 1, input: Extent3(uniform: 2), kernel: Extent3(uniform: 2))
        let x = try Tensor<Int8>(shape: big.inputShape, repeating: 1)
        let w = try Tensor<Int8>(shape: big.weightShape, repeating: 1)
        let expected = "reduction length C/groups·kd·kh·kw = 131080 exceeds 131071, "
            + "past which a sum of int8 x int8 products can overflow int32"
        XCTAssertEqual(message { try ReferenceConv3D.conv3d(x, w, parameters: big) }, expected)
        XCTAssertEqual(message { try FastConv3D.conv3d(x, w, parameters: big) }, expected)
        // (uint8 - zero point) x int8 products reach 255·128, so the limit is 65,793.
        let u8 = try Conv3DParameters(
            batch: 1, inputChannels: 8_225, outputChannels: 1, input: Extent3(uniform: 2), kernel: Extent3(uniform: 2))
        XCTAssertEqual(
            message {
                try ReferenceConv3D.conv3d(
                    try Tensor<UInt8>(shape: u8.inputShape, repeating: 1), zeroPoint: 0,
                    try Tensor<Int8>(shape: u8.weightShape, repeating: 1), parameters: u8)
            },
            "reduction length C/groups·kd·kh·kw = 65800 exceeds 65793, "
                + "past which a sum of (uint8 - zero point) x int8 products can overflow int32")
    }

    func testBadOptions() throws {
        let x = try Tensor<Int8>(shape: p.inputShape, repeating: 1)
        let w = try Tensor<Int8>(shape: p.weightShape, repeating: 1)
        XCTAssertEqual(
            message { try FastConv3D.conv3d(x, w, parameters: p, options: CPUConv3DOptions(threads: 0)) },
            "thread count is 0; expected 1 or more")
        let error = CPUKernelsError.unsupportedInstructionSet(
            .avx2, features: CPUFeatures(activeCores: 2, avx2: false, fma: false, avx512f: false, avx512vnni: false,
                                         avxVNNI: false))
        XCTAssertEqual(
            error.description,
            "instruction set avx2 was requested but this CPU has 2 cores, no vector extensions the kernels use")
        guard !CPUFeatures.current.supports(.avx2) else { return }
        XCTAssertEqual(
            message { try FastConv3D.conv3d(x, w, parameters: p, options: CPUConv3DOptions(instructionSet: .avx2)) },
            "\(CPUKernelsError.unsupportedInstructionSet(.avx2, features: CPUFeatures.current))")
    }
}
