import ConvGeometry
import CPUKernels
import Tensors
import XCTest

/// The reference against the independent naive formula, on fresh random non-zero data each run.
final class ReferenceConv3DTests: XCTestCase {
    func testInt8MatchesNaiveFormulaExactly() throws {
        for problem in ConvProblem.all {
            let seed = freshSeed()
            var rng = SeededGenerator(seed: seed)
            let p = problem.parameters
            let x = try Tensor<Int8>.randomNonZero(shape: p.inputShape, layout: .ncdhw, in: -128...127, using: &rng)
            let w = try Tensor<Int8>.randomNonZero(shape: p.weightShape, layout: .oidhw, in: -128...127, using: &rng)
            let y = try ReferenceConv3D.conv3d(x, w, parameters: p)
            XCTAssertEqual(y.shape, p.outputShape, "\(problem)")
            let expected = naiveConv3D(x.elements.map(Double.init), w.elements.map(Double.init), p)
            assertIdentical(y.elements.map(Double.init), expected, "\(problem), seed \(seed)")
        }
    }

    func testUInt8WithZeroPointMatchesNaiveFormulaExactly() throws {
        for problem in ConvProblem.all {
            let seed = freshSeed()
            var rng = SeededGenerator(seed: seed)
            let p = problem.parameters
            let zeroPoint = UInt8.random(in: 0...255, using: &rng)
            let x = try Tensor<UInt8>.randomNonZero(shape: p.inputShape, layout: .ncdhw, using: &rng)
            let w = try Tensor<Int8>.randomNonZero(shape: p.weightShape, layout: .oidhw, using: &rng)
            let y = try ReferenceConv3D.conv3d(x, zeroPoint: zeroPoint, w, parameters: p)
            // Padding is real zero: the naive formula pads the zero-point-subtracted input with 0.
            let centred = x.elements.map { Double($0) - Double(zeroPoint) }
            let expected = naiveConv3D(centred, w.elements.map(Double.init), p)
            assertIdentical(y.elements.map(Double.init), expected, "\(problem), zero point \(zeroPoint), seed \(seed)")
        }
    }

    func testUInt8PaddingEqualsTheZeroPoint() throws {
        // A 1x1x3 window over a 1-wide input with padding 1 on both sides: only the middle tap reads data.
        let p = try Conv3DParameters(
            batch: 1, inputChannels: 1, outputChannels: 1, input: Extent3(1, 1, 1), kernel: Extent3(1, 1, 3),
            padding: .explicit(Padding3D([0, 0, 1, 0, 0, 1])))
        let x = try Tensor<UInt8>(shape: p.inputShape, elements: [200])
        let w = try Tensor<Int8>(shape: p.weightShape, elements: [5, 7, 11])
        let y = try ReferenceConv3D.conv3d(x, zeroPoint: 190, w, parameters: p)
        XCTAssertEqual(y.elements, [(200 - 190) * 7])
    }

    func testFloatMatchesNaiveFormulaWithBias() throws {
        for problem in ConvProblem.all {
            let seed = freshSeed()
            var rng = SeededGenerator(seed: seed)
            let p = problem.parameters
            let x = try Tensor<Float>.randomNonZero(shape: p.inputShape, layout: .ncdhw, using: &rng)
            let w = try Tensor<Float>.randomNonZero(shape: p.weightShape, layout: .oidhw, using: &rng)
            let bias = (0..<p.outputChannels).map { _ in Float.random(in: -1...1, using: &rng) }
            let y = try ReferenceConv3D.conv3d(x, w, bias: bias, parameters: p)
            let sums = naiveConv3D(x.elements.map(Double.init), w.elements.map(Double.init), p)
            let plane = p.output.volume
            for (i, value) in y.elements.enumerated() {
                let expected = sums[i] + Double(bias[(i / plane) % p.outputChannels])
                // Both sum in Double; only the final rounding to Float may differ.
                if abs(Double(value) - expected) > 1e-6 * max(1, abs(expected)) {
                    XCTFail("\(problem), output \(i): \(value), expected \(expected), seed \(seed)")
                    break
                }
            }
        }
    }

    func testKnownValues() throws {
        // 2x2 input, 2x2 kernel of ones, padding 1 before on H and W: each output sums the inputs its
        // window overlaps.
        let p = try Conv3DParameters(
            batch: 1, inputChannels: 1, outputChannels: 1, input: Extent3(1, 2, 2), kernel: Extent3(1, 2, 2),
            padding: .explicit(Padding3D([0, 1, 1, 0, 0, 0])))
        let x = try Tensor<Int8>(shape: p.inputShape, elements: [1, 2, 3, 4])
        let w = try Tensor<Int8>(shape: p.weightShape, elements: [1, 1, 1, 1])
        XCTAssertEqual(try ReferenceConv3D.conv3d(x, w, parameters: p).elements, [1, 3, 4, 10])
    }
}
