import CPUKernels
import Kernels
import Tensors

/// Verification of fp16 kernels (`hmma`) on float problems.
///
/// The reference is the CPU float convolution of the operands rounded to fp16 (what the kernel
/// multiplies), plus the bias, through ReLU when the check was made with `int8Output` (the generic
/// request's int8 output maps to ``HmmaOutput/float16(relu:)`` with ReLU, see ``HmmaOutput/init(_:)``).
/// Products of two fp16 values are exact in fp32, so fp16 input rounding is out of the comparison and
/// the only errors left are the fp32 additions of the reduction, on the GPU and on the CPU. With
/// R = C·kd·kh·kw terms and S = Σ|x·w| (the same convolution on absolute values), the worst case of
/// recursive fp32 summation, (R - 1)·2⁻²⁴·S, is too loose to be a test (about 11 on r3d.l4, where a
/// missing 512-channel tap moves an output by about 7.5); rounding errors of random data grow like
/// √R (Higham and Mary, "A new approach to probabilistic rounding error analysis", 2019), so the
/// tolerance is that bound with a wide margin (8, for the tensor cores' truncating additions and
/// split-K's order), plus the bias addition:
///
///     tolerance = 8·√R·2⁻²⁴·S + 2⁻²³·|bias| (+ 2⁻¹¹·|expected| for fp16 outputs: half an fp16 ulp)
///
/// On r3d.l4 that is about 0.2 against outputs of standard deviation 39. An element whose two runs
/// both hold the poison bit patterns (0x5A… and 0xA5… bytes) is counted unwritten.
extension KernelCheck {
    struct HalfReference {
        let expected: [Float]
        let tolerance: [Float]
        let relu: Bool
        let halfOutput: Bool
    }

    func halfReferenceValues(halfOutput: Bool) throws -> HalfReference {
        if let halfReference, halfReference.halfOutput == halfOutput { return halfReference }
        guard case let .float32(input, weight, bias) = operands.problem.operands else {
            throw EngineError.unsupported(impl: "hmma", reason: "the problem's operands are not float")
        }
        let p = operands.problem.parameters
        let input16 = input.map { Float(Float16($0)) }
        let weight16 = weight.map { Float(Float16($0)) }
        let expected = try FastConv3D.conv3d(input16, weight16, bias: bias, relu: int8Output, parameters: p).elements
        let magnitude = try FastConv3D.conv3d(input16.map { abs($0) }, weight16.map { abs($0) }, parameters: p).elements
        let reduction = Float(p.reductionLength)
        let spatial = p.output.volume
        var tolerance = [Float](repeating: 0, count: expected.count)
        for i in 0..<expected.count {
            let channel = (i / spatial) % p.outputChannels
            var t = 8 * reduction.squareRoot() * 0x1p-24 * magnitude[i] + 0x1p-23 * abs(bias[channel])
            if halfOutput { t += 0x1p-11 * abs(expected[i]) }
            tolerance[i] = t
        }
        let reference = HalfReference(expected: expected, tolerance: tolerance, relu: int8Output, halfOutput: halfOutput)
        halfReference = reference
        return reference
    }

    func verifyHalf(_ kernel: LoadedConvKernel) throws -> Result {
        let (element, _, _, _) = try DeviceOperands.outputParameter(of: kernel.source)
        let halfOutput = element == .float16
        let reference = try halfReferenceValues(halfOutput: halfOutput)
        let arguments = try operands.arguments(for: kernel.source)
        var outputs: [[Float]] = []
        for poison: UInt8 in [0x5A, 0xA5] {
            try operands.poisonOutput(of: kernel.source, with: poison)
            try kernel.launch(arguments)
            try operands.context.synchronize()
            outputs.append(try operands.floatOutput(of: kernel.source))
        }
        let poisons: [Float] = halfOutput
            ? [Float(Float16(bitPattern: 0x5A5A)), Float(Float16(bitPattern: 0xA5A5))]
            : [Float(bitPattern: 0x5A5A_5A5A), Float(bitPattern: 0xA5A5_A5A5)]
        var mismatches = 0, unwritten = 0
        var maxAbs = 0.0, diff2 = 0.0, ref2 = 0.0
        for i in 0..<reference.expected.count {
            let e = reference.expected[i]
            let d0 = abs(outputs[0][i] - e), d1 = abs(outputs[1][i] - e)
            // NaN differences fail too.
            if !(d0 <= reference.tolerance[i]) || !(d1 <= reference.tolerance[i]) { mismatches += 1 }
            if outputs[0][i] == poisons[0] && outputs[1][i] == poisons[1] { unwritten += 1 }
            let d = Double(max(d0, d1))
            maxAbs = max(maxAbs, d.isNaN ? .infinity : d)
            diff2 += d * d
            ref2 += Double(e) * Double(e)
        }
        var errors = ErrorStatistics([Int32](), reference: [Int32]())
        errors.maxAbs = maxAbs
        errors.relative = ref2 > 0 ? (diff2 / ref2).squareRoot() : (diff2 > 0 ? .infinity : 0)
        return Result(mismatches: mismatches, unwritten: unwritten, errors: errors)
    }
}
