import ConvGeometry
import Tensors

/// The reference 3D convolutions: direct loops over the formula documented on `Conv3DParameters`,
/// written to be obviously right rather than fast. Every other kernel in Q3D is checked against them.
///
/// Shapes: input `[N, C, D, H, W]` (NCDHW), weight `[K, C/g, kd, kh, kw]` (OIDHW), output
/// `[N, K, Do, Ho, Wo]` (NCDHW). Any stride, dilation, asymmetric padding and group count works,
/// depthwise included.
///
/// ```swift
/// let p = try Conv3DParameters(batch: 1, inputChannels: 3, outputChannels: 8, input: Extent3(4, 8, 8),
///                              kernel: Extent3(uniform: 3), padding: .explicit(Padding3D([1])))
/// let y = try ReferenceConv3D.conv3d(x, w, parameters: p)        // Tensor<Int32>, [1, 8, 4, 8, 8]
/// ```
///
/// See Also: ``FastConv3D`` for the multi-threaded kernels that reproduce these results.
public enum ReferenceConv3D {
    /// Float convolution accumulated in `Double`, with an optional per-output-channel bias added to
    /// the sum before it is rounded to `Float` once.
    public static func conv3d(
        _ input: Tensor<Float>, _ weight: Tensor<Float>, bias: [Float]? = nil, parameters p: Conv3DParameters
    ) throws(CPUKernelsError) -> Tensor<Float> {
        try p.checkInput(input)
        try p.checkWeight(weight)
        if let bias { try p.checkPerChannel(bias, name: "bias") }
        let sums = convolve(p, input.elements.map(Double.init), weight.elements.map(Double.init))
        let plane = p.output.volume
        let values = sums.enumerated().map { i, sum in
            Float(sum + Double(bias?[(i / plane) % p.outputChannels] ?? 0))
        }
        return try output(values, p)
    }

    /// Exact int8 x int8 convolution into int32 accumulators.
    ///
    /// Throws ``CPUKernelsError/accumulatorOverflow(reduction:limit:operands:)`` when C/g·kd·kh·kw
    /// exceeds 131,071 (Int32.max / 128²), past which the sum could overflow int32.
    public static func conv3d(
        _ input: Tensor<Int8>, _ weight: Tensor<Int8>, parameters p: Conv3DParameters
    ) throws(CPUKernelsError) -> Tensor<Int32> {
        try p.checkInput(input)
        try p.checkWeight(weight)
        try p.checkInt8Reduction()
        return try output(convolve(p, input.elements.map(Int32.init), weight.elements.map(Int32.init)), p)
    }

    /// Exact convolution of asymmetrically quantized uint8 activations with int8 weights: each
    /// activation contributes `(x - zeroPoint) · w`.
    ///
    /// Padding is in the quantized domain: a padded element equals `zeroPoint`, i.e. it is real zero
    /// and contributes nothing, exactly as zero padding does for the dequantized input. Throws when
    /// C/g·kd·kh·kw exceeds 65,793, past which (255 · 128)-sized products could overflow int32.
    public static func conv3d(
        _ input: Tensor<UInt8>, zeroPoint: UInt8, _ weight: Tensor<Int8>, parameters p: Conv3DParameters
    ) throws(CPUKernelsError) -> Tensor<Int32> {
        try p.checkInput(input)
        try p.checkWeight(weight)
        try p.checkAccumulation(largestProduct: 255 * 128, operands: "(uint8 - zero point) x int8")
        // Subtracting the zero point first makes padding plain zero, as the loops below treat it.
        let centred = input.elements.map { Int32($0) - Int32(zeroPoint) }
        return try output(convolve(p, centred, weight.elements.map(Int32.init)), p)
    }

    /// Every output in NCDHW order: the sum of `x[input] · w[weight]` over the taps whose input
    /// coordinate `o·stride - padBefore + t·dilation` lies inside the input on all three axes. Taps in
    /// the padding are skipped: they read zero. The operands are already in the accumulator's type,
    /// so for integers every product and sum is exact (the callers checked the reduction length).
    private static func convolve<Sum: Numeric>(_ p: Conv3DParameters, _ x: [Sum], _ w: [Sum]) -> [Sum] {
        let (c, cg, kg) = (p.inputChannels, p.inputChannelsPerGroup, p.outputChannelsPerGroup)
        let (d, h, wd) = (p.input.depth, p.input.height, p.input.width)
        let (kd, kh, kw) = (p.kernel.depth, p.kernel.height, p.kernel.width)
        var result: [Sum] = []
        result.reserveCapacity(p.outputShape.reduce(1, *))
        for n in 0..<p.batch {
            for k in 0..<p.outputChannels {
                let group = k / kg
                for od in 0..<p.output.depth {
                    for oh in 0..<p.output.height {
                        for ow in 0..<p.output.width {
                            var sum: Sum = 0
                            for ci in 0..<cg {
                                let channel = group * cg + ci
                                for tz in 0..<kd {
                                    let z = od * p.stride.depth - p.padding.front + tz * p.dilation.depth
                                    guard z >= 0 && z < d else { continue }
                                    for ty in 0..<kh {
                                        let y = oh * p.stride.height - p.padding.top + ty * p.dilation.height
                                        guard y >= 0 && y < h else { continue }
                                        for tx in 0..<kw {
                                            let xw = ow * p.stride.width - p.padding.left + tx * p.dilation.width
                                            guard xw >= 0 && xw < wd else { continue }
                                            let inputIndex = (((n * c + channel) * d + z) * h + y) * wd + xw
                                            let weightIndex = (((k * cg + ci) * kd + tz) * kh + ty) * kw + tx
                                            sum += x[inputIndex] * w[weightIndex]
                                        }
                                    }
                                }
                            }
                            result.append(sum)
                        }
                    }
                }
            }
        }
        return result
    }

    private static func output<Element>(_ values: [Element], _ p: Conv3DParameters) throws(CPUKernelsError)
        -> Tensor<Element>
    {
        do throws(TensorError) {
            return try Tensor(shape: p.outputShape, layout: .ncdhw, elements: values)
        } catch {
            throw .tensor(error)
        }
    }
}
