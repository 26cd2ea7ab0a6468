import ConvGeometry
import Tensors

/// Direct convolution on NCDHW data, for every rank (1D and 2D run lifted to 3D), groups, strides,
/// dilations and padding: the CPU path for graphs until the fast kernels of `CPUKernels` take over.
///
/// The loop order keeps one output plane (`Do·Ho·Wo` accumulators) and one input plane hot: for each
/// output channel, input channel and filter tap, a whole shifted input plane is multiplied by one
/// weight and added — the innermost loop runs along W, contiguous for stride 1.
enum ConvolutionKernels {
    /// Float convolution with bias, residual and ReLU fused: `relu(conv(x, w) + bias + residual)`.
    static func float(
        x: Tensor<Float>, w: Tensor<Float>, bias: [Float]?, residual: [Float]?, relu: Bool, p: Conv3DParameters
    ) -> [Float] {
        var acc = Array(repeating: Float(0), count: p.outputShape.reduce(1, *))
        accumulate(x.elements, w.elements, p, into: &acc)
        let plane = p.output.volume
        for i in acc.indices {
            var v = acc[i]
            if let bias { v += bias[(i / plane) % p.outputChannels] }
            if let residual { v += residual[i] }
            acc[i] = relu ? max(v, 0) : v
        }
        return acc
    }

    /// int8 convolution: int32 accumulation, then ``Epilogue/apply(_:channel:residual:)`` per element.
    static func int8(x: Tensor<Int8>, w: Tensor<Int8>, residual: [Int8]?, epilogue: Epilogue, p: Conv3DParameters) -> [Int8] {
        var acc = Array(repeating: Int32(0), count: p.outputShape.reduce(1, *))
        accumulate(x.elements.map(Int32.init), w.elements.map(Int32.init), p, into: &acc)
        let plane = p.output.volume
        var out = Array(repeating: Int8(0), count: acc.count)
        for i in acc.indices {
            out[i] = epilogue.apply(acc[i], channel: (i / plane) % p.outputChannels, residual: residual?[i] ?? 0)
        }
        return out
    }

    /// `acc[n, k, o] += Σ w[k, c, t] · x[n, g·C/g + c, o·stride - pad + t·dilation]`, zero outside the input.
    private static func accumulate<T: Numeric>(_ x: [T], _ w: [T], _ p: Conv3DParameters, into acc: inout [T]) {
        let (d, h, wd) = (p.input.depth, p.input.height, p.input.width)
        let (od, oh, ow) = (p.output.depth, p.output.height, p.output.width)
        let (kd, kh, kw) = (p.kernel.depth, p.kernel.height, p.kernel.width)
        let (sd, sh, sw) = (p.stride.depth, p.stride.height, p.stride.width)
        let (dd, dh, dw) = (p.dilation.depth, p.dilation.height, p.dilation.width)
        let (pf, pt, pl) = (p.padding.front, p.padding.top, p.padding.left)
        let cpg = p.inputChannelsPerGroup
        let kpg = p.outputChannelsPerGroup
        let taps = kd * kh * kw
        x.withUnsafeBufferPointer { xb in
            w.withUnsafeBufferPointer { wb in
                acc.withUnsafeMutableBufferPointer { ab in
                    for n in 0..<p.batch {
                        for k in 0..<p.outputChannels {
                            let group = k / kpg
                            let outBase = (n * p.outputChannels + k) * od * oh * ow
                            for ci in 0..<cpg {
                                let inBase = (n * p.inputChannels + group * cpg + ci) * d * h * wd
                                let wBase = (k * cpg + ci) * taps
                                for a in 0..<kd {
                                    for b in 0..<kh {
                                        for c in 0..<kw {
                                            let weight = wb[wBase + (a * kh + b) * kw + c]
                                            // Output columns whose input column lies inside the row.
                                            let shift = c * dw - pl
                                            let lo = shift >= 0 ? 0 : (-shift + sw - 1) / sw
                                            let hi = min(ow, wd - 1 - shift < 0 ? 0 : (wd - 1 - shift) / sw + 1)
                                            if lo >= hi { continue }
                                            for z in 0..<od {
                                                let iz = z * sd - pf + a * dd
                                                if iz < 0 || iz >= d { continue }
                                                for y in 0..<oh {
                                                    let iy = y * sh - pt + b * dh
                                                    if iy < 0 || iy >= h { continue }
                                                    let o = outBase + (z * oh + y) * ow
                                                    let i = inBase + (iz * h + iy) * wd + shift
                                                    if sw == 1 {
                                                        for xo in lo..<hi { ab[o + xo] += weight * xb[i + xo] }
                                                    } else {
                                                        for xo in lo..<hi { ab[o + xo] += weight * xb[i + xo * sw] }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
