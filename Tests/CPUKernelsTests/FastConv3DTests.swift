import ConvGeometry
import CPUKernels
import Tensors
import XCTest

/// The fast kernels against the reference: int8 exactly, float to float32 rounding, on every
/// instruction set this CPU has (the portable scalar one always) and on one and several threads.
final class FastConv3DTests: XCTestCase {
    /// Scalar always; AVX2 where the CPU has it.
    private var optionSets: [CPUConv3DOptions] {
        let sets = CPUInstructionSet.allCases.filter { CPUFeatures.current.supports($0) }
        return sets.flatMap { set in [1, 3].map { CPUConv3DOptions(threads: $0, instructionSet: set) } }
    }

    func testInt8AccumulatorsEqualReference() throws {
        for problem in ConvProblem.all {
            let seed = freshSeed()
            var rng = SeededGenerator(seed: seed)
            let p = problem.parameters
            let x = try Tensor<Int8>.randomNonZero(shape: p.inputShape, layout: .ncdhw, in: -128...127, using: &rng)
            let w = try Tensor<Int8>.randomNonZero(shape: p.weightShape, layout: .oidhw, in: -128...127, using: &rng)
            let expected = try ReferenceConv3D.conv3d(x, w, parameters: p)
            let packed = try PackedConv3DWeights(w, parameters: p)
            for options in optionSets {
                let y = try FastConv3D.conv3d(x, packed, parameters: p, options: options)
                assertIdentical(y, expected, "\(problem), \(options), seed \(seed)")
            }
        }
    }

    func testInt8EpilogueEqualsEpilogueApply() throws {
        for problem in ConvProblem.all {
            let seed = freshSeed()
            var rng = SeededGenerator(seed: seed)
            let p = problem.parameters
            let x = try Tensor<Int8>.randomNonZero(shape: p.inputShape, layout: .ncdhw, using: &rng)
            let w = try Tensor<Int8>.randomNonZero(shape: p.weightShape, layout: .oidhw, using: &rng)
            let residual = try Tensor<Int8>.randomNonZero(shape: p.outputShape, layout: .ncdhw, using: &rng)
            let acc = try ReferenceConv3D.conv3d(x, w, parameters: p)
            let packed = try PackedConv3DWeights(w, parameters: p)
            for epilogue in epilogues(for: p, using: &rng) {
                let res = epilogue.residualScale == nil ? nil : residual
                let expected = try epilogue.apply(to: acc, residual: res)
                for options in optionSets {
                    let y = try FastConv3D.conv3d(
                        x, packed, parameters: p, epilogue: epilogue, residual: res, options: options)
                    assertIdentical(y, expected, "\(problem), \(epilogue), \(options), seed \(seed)")
                }
            }
        }
    }

    /// Scales that spread accumulators over the int8 range (and past it, to saturate), with and without
    /// residual and ReLU; then scale 0.5 and bias 0, where every odd accumulator is a rounding tie; then
    /// a NaN scale on channel 0, without and with ReLU.
    private func epilogues(for p: Conv3DParameters, using rng: inout SeededGenerator) -> [Epilogue] {
        let k = p.outputChannels
        let typical = Float(p.reductionLength).squareRoot() * 64 * 64
        let scale = (0..<k).map { _ in Float.random(in: 0.5...3, using: &rng) * 100 / typical }
        let bias = (0..<k).map { _ in Float.random(in: -20...20, using: &rng) }
        var withNaN = scale
        withNaN[0] = .nan
        return [
            Epilogue(scale: scale, bias: bias),
            Epilogue(scale: scale, bias: bias, relu: true),
            Epilogue(scale: scale, bias: bias, residualScale: 0.75),
            Epilogue(scale: scale, bias: bias, relu: true, residualScale: -1.25),
            Epilogue(scale: Array(repeating: 0.5, count: k), bias: Array(repeating: 0, count: k)),
            Epilogue(scale: withNaN, bias: bias),
            Epilogue(scale: withNaN, bias: bias, relu: true),
        ]
    }

    func testFloatWithinTolerance() throws {
        for problem in ConvProblem.all {
            let seed = freshSeed()
            var rng = SeededGenerator(seed: seed)
            let p = problem.parameters
            let x = try Tensor<Float>.randomNonZero(shape: p.inputShape, layout: .ncdhw, using: &rng)
            let w = try Tensor<Float>.randomNonZero(shape: p.weightShape, layout: .oidhw, using: &rng)
            let bias = (0..<p.outputChannels).map { _ in Float.random(in: -1...1, using: &rng) }
            let reference = try ReferenceConv3D.conv3d(x, w, bias: bias, parameters: p)
            // Σ|x·w| + |bias| per output: the size of the sum, against which float32 rounding is relative
            // (an output that cancels to near zero is no more exact than the terms it sums).
            let magnitudes = naiveConv3D(x.elements.map { Double(abs($0)) }, w.elements.map { Double(abs($0)) }, p)
            let packed = try PackedConv3DWeights(w, parameters: p)
            for options in optionSets {
                for relu in [false, true] {
                    let y = try FastConv3D.conv3d(x, packed, bias: bias, relu: relu, parameters: p, options: options)
                    XCTAssertEqual(y.shape, p.outputShape)
                    for i in 0..<y.count {
                        let k = (i / p.output.volume) % p.outputChannels
                        let expected = relu ? max(reference.elements[i], 0) : reference.elements[i]
                        let size = magnitudes[i] + Double(abs(bias[k]))
                        let error = abs(Double(y.elements[i]) - Double(expected))
                        if error > 1e-5 * max(size, Double(abs(expected))) {
                            XCTFail("\(problem), relu \(relu), \(options), output \(i): \(y.elements[i]) vs "
                                    + "\(expected), seed \(seed)")
                            break
                        }
                    }
                }
            }
        }
    }

    func testFloatWithoutBias() throws {
        let seed = freshSeed()
        var rng = SeededGenerator(seed: seed)
        let p = ConvProblem.all[2].parameters
        let x = try Tensor<Float>.randomNonZero(shape: p.inputShape, using: &rng)
        let w = try Tensor<Float>.randomNonZero(shape: p.weightShape, using: &rng)
        let reference = try ReferenceConv3D.conv3d(x, w, parameters: p)
        let y = try FastConv3D.conv3d(x, w, parameters: p)
        let worst = zip(y.elements, reference.elements).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5, "seed \(seed)")
    }

    func testOneShotEqualsPacked() throws {
        let seed = freshSeed()
        var rng = SeededGenerator(seed: seed)
        let p = ConvProblem.all[4].parameters
        let x = try Tensor<Int8>.randomNonZero(shape: p.inputShape, using: &rng)
        let w = try Tensor<Int8>.randomNonZero(shape: p.weightShape, using: &rng)
        let epilogue = Epilogue(scale: Array(repeating: 0.01, count: p.outputChannels),
                                bias: Array(repeating: 1, count: p.outputChannels), relu: true)
        let packed = try PackedConv3DWeights(w, parameters: p)
        assertIdentical(try FastConv3D.conv3d(x, w, parameters: p), try FastConv3D.conv3d(x, packed, parameters: p),
                        "seed \(seed)")
        assertIdentical(try FastConv3D.conv3d(x, w, parameters: p, epilogue: epilogue),
                        try FastConv3D.conv3d(x, packed, parameters: p, epilogue: epilogue), "seed \(seed)")
    }

    func testExtremeInt8ValuesDoNotOverflow() throws {
        // Every product is (-128)·(-128) = 2^14: the largest int8 x int8 sum a tile can see.
        let p = try Conv3DParameters(
            batch: 1, inputChannels: 64, outputChannels: 16, input: Extent3(3, 3, 7), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D([1])))
        let x = try Tensor<Int8>(shape: p.inputShape, repeating: -128)
        let w = try Tensor<Int8>(shape: p.weightShape, repeating: -128)
        let expected = try ReferenceConv3D.conv3d(x, w, parameters: p)
        XCTAssertEqual(expected.elements.max(), 27 * 64 * 16384)
        for options in optionSets {
            assertIdentical(try FastConv3D.conv3d(x, w, parameters: p, options: options), expected, "\(options)")
        }
    }
}
