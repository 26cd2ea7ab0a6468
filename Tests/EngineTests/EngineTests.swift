import CPUKernels
import CUDARuntime
import ConvGeometry
import Kernels
import Tensors
import XCTest

@testable import Engine

final class EngineTests: XCTestCase {
    /// Every kernel parameter that the templates declare can be bound: packing the NCDHW / OIDHW
    /// operands into the declared layout gives exactly the declared element count.
    func testEveryTemplatesOperandsPackToTheDeclaredCounts() throws {
        let seed: UInt64 = 7
        var rng = SeededGenerator(seed: seed)
        let workloads = AnchorLayers.verificationSet(batch: 1) + [
            NamedConv3D("c5k7", try Conv3DParameters(
                batch: 2, inputChannels: 5, outputChannels: 7, input: Extent3(3, 5, 6), kernel: Extent3(2, 3, 1),
                stride: Extent3(1, 2, 1), padding: .explicit(try Padding3D([1, 0, 1, 0, 1, 0])))),
        ]
        for layer in workloads {
            let p = layer.parameters
            let input = try Tensor<Int8>.randomNonZero(shape: p.inputShape, layout: .ncdhw, using: &rng)
            let weight = try Tensor<Int8>.randomNonZero(shape: p.weightShape, layout: .oidhw, using: &rng)
            for impl in ["dp4a", "imma"] {
                let selection = try KernelCatalog.select(
                    impl: impl, workload: p, arch: .sm80, output: .int8(relu: true, residual: false), config: nil,
                    configIndex: nil)
                var pitch: Int?
                for parameter in selection.source.parameters {
                    guard case let .buffer(_, count, layout, _) = parameter.kind else { continue }
                    switch parameter.role {
                    case .input:
                        let packed = try DeviceOperands.pack(input, as: layout, count: count, parameter: parameter)
                        XCTAssertEqual(packed.count, count, "\(layer.name) \(impl) \(parameter) seed \(seed)")
                        if layout == .ndhwc { pitch = packed.shape.last }
                    case .weight:
                        let packed = try DeviceOperands.pack(
                            weight, as: layout, count: count, parameter: parameter, inputPitch: pitch)
                        XCTAssertEqual(packed.count, count, "\(layer.name) \(impl) \(parameter)")
                        if layout == .odhwi { XCTAssertEqual(packed.shape.last, pitch, "weights share the input's pitch") }
                    default: continue
                    }
                }
            }
        }
    }

    func testPhysicalOutputShapeAndUnpacking() throws {
        XCTAssertEqual(DeviceOperands.physicalShape([2, 5, 3, 4, 6], layout: .ncdhwc(block: 4), count: 0), [2, 2, 3, 4, 6, 4])
        XCTAssertEqual(DeviceOperands.physicalShape([2, 5, 3, 4, 6], layout: .ndhwc, count: 2 * 3 * 4 * 6 * 8), [2, 3, 4, 6, 8])
        var rng = SeededGenerator(seed: 3)
        let t = try Tensor<Int8>.randomNonZero(shape: [2, 5, 3, 4, 6], layout: .ncdhw, using: &rng)
        let packed = try t.packedNDHWC(channelMultiple: 8)
        XCTAssertEqual(try DeviceOperands.unpack(packed, channels: 5), t)
    }

    func testChooserPicksTheCPUWithoutAGPUAndRefusesWrongDevices() throws {
        let p = try Conv3DParameters(
            batch: 1, inputChannels: 3, outputChannels: 4, input: Extent3(uniform: 4), kernel: Extent3(uniform: 3))
        let request = Conv3DRequest(parameters: p, dtype: .int8)
        XCTAssertThrowsError(try Conv3DChooser.choose(impl: "fast", device: .cuda, request: request)) {
            XCTAssertEqual("\($0)", "implementation 'fast' runs on the cpu, but --device cuda was asked for")
        }
        XCTAssertThrowsError(try Conv3DChooser.choose(impl: "winograd", device: .auto, request: request)) {
            XCTAssertTrue("\($0)".contains("unknown implementation 'winograd'"))
        }
        XCTAssertThrowsError(try Conv3DChooser.choose(impl: "dp4a", device: .cpu, request: request))
        if case .unavailable = CUDADriver.availability() {
            let choice = try Conv3DChooser.choose(impl: "auto", device: .auto, request: request)
            XCTAssertEqual(choice.device, .cpu)
            XCTAssertEqual(choice.impl, "fast")
            XCTAssertNotNil(choice.note)
            XCTAssertThrowsError(try Conv3DChooser.choose(impl: "dp4a", device: .auto, request: request)) {
                XCTAssertTrue("\($0)".hasPrefix("CUDA is not available"))
            }
        }
    }

    func testCPURunnerVerifiesBothPathsOnOddShapes() throws {
        let p = try Conv3DParameters(
            batch: 2, inputChannels: 6, outputChannels: 10, input: Extent3(5, 6, 7), kernel: Extent3(3, 1, 2),
            stride: Extent3(2, 1, 1), dilation: Extent3(1, 2, 1), padding: .explicit(try Padding3D([1, 0, 2, 0, 1, 0])),
            groups: 2)
        for (dtype, int8Output) in [(ConvElementType.int8, false), (.int8, true), (.float32, false)] {
            for variant in [CPUConv3DRunner.Variant.fast, .reference] {
                var runner = try CPUConv3DRunner(
                    request: Conv3DRequest(parameters: p, dtype: dtype, int8Output: int8Output, seed: 11), variant: variant)
                let result = try runner.run(verify: true, bench: true, repeats: 2)
                XCTAssertEqual(result.verified, true, "\(dtype) int8Output \(int8Output) \(variant)")
                XCTAssertEqual(result.outputShape, p.outputShape)
                XCTAssertNotNil(result.milliseconds)
            }
        }
    }

    /// A residual request carries an int8 residual shaped like the output and a residual scale; the
    /// reference and fast CPU paths agree on it, and it changes the int8 result.
    func testResidualRequestChangesTheInt8Output() throws {
        let p = try Conv3DParameters(
            batch: 1, inputChannels: 5, outputChannels: 6, input: Extent3(3, 5, 4), kernel: Extent3(uniform: 3),
            padding: .explicit(try Padding3D([1])))
        let with = try Conv3DProblem(Conv3DRequest(parameters: p, dtype: .int8, int8Output: true, residual: true, seed: 3))
        let without = try Conv3DProblem(Conv3DRequest(parameters: p, dtype: .int8, int8Output: true, seed: 3))
        XCTAssertEqual(with.residual?.shape, p.outputShape)
        XCTAssertNil(without.residual)
        guard case let .int8(input, weight, epilogue?) = with.operands, let residual = with.residual else {
            return XCTFail("expected int8 operands with an epilogue and a residual")
        }
        XCTAssertNotNil(epilogue.residualScale)
        let plain = Epilogue(scale: epilogue.scale, bias: epilogue.bias, relu: epilogue.relu)
        let withResidual = try FastConv3D.conv3d(input, weight, parameters: p, epilogue: epilogue, residual: residual)
        let withoutResidual = try FastConv3D.conv3d(input, weight, parameters: p, epilogue: plain)
        XCTAssertNotEqual(withResidual.elements, withoutResidual.elements)
        for variant in [CPUConv3DRunner.Variant.fast, .reference] {
            var runner = try CPUConv3DRunner(
                request: Conv3DRequest(parameters: p, dtype: .int8, int8Output: true, residual: true, seed: 3),
                variant: variant)
            let result = try runner.run(verify: true, bench: false, repeats: 1)
            XCTAssertEqual(result.verified, true, "\(variant)")
        }
        // A residual is an int8 epilogue's input: an int32 request ignores it.
        XCTAssertFalse(Conv3DRequest(parameters: p, dtype: .int8, int8Output: false, residual: true).residual)
    }

    /// On a machine with a GPU: the default configs of both templates verify exactly on a small odd
    /// workload. Elsewhere this says why it did not run.
    func testDefaultKernelsVerifyOnTheGPU() throws {
        if case .unavailable(let why) = CUDADriver.availability() { throw XCTSkip("no GPU here: \(why)") }
        let p = try Conv3DParameters(
            batch: 1, inputChannels: 5, outputChannels: 7, input: Extent3(4, 9, 10), kernel: Extent3(uniform: 3),
            padding: .explicit(try Padding3D([1])))
        for impl in KernelCatalog.names {
            for (int8Output, residual) in [(false, false), (true, false), (true, true)] {
                var runner = try CUDAConv3DRunner(
                    request: Conv3DRequest(parameters: p, dtype: .int8, int8Output: int8Output, residual: residual, seed: 5),
                    impl: impl, config: nil, configIndex: nil)
                let result = try runner.run(verify: true, bench: false, repeats: 1)
                XCTAssertEqual(result.verified, true, "\(impl) int8Output \(int8Output) residual \(residual)")
                XCTAssertEqual(result.unwritten, 0)
            }
        }
    }

    func testTimingMedian() {
        XCTAssertEqual(Timing.median([3, 1, 2]), 2)
        XCTAssertEqual(Timing.median([4, 1, 3, 2]), 2.5)
        XCTAssertTrue(Timing.median([]).isNaN)
    }
}
