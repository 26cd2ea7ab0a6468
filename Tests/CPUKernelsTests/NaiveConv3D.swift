import ConvGeometry

/// An independent statement of conv3d for the tests, deliberately unlike `ReferenceConv3D`: build the
/// zero-padded input explicitly, then each output is a plain sum over the window it covers — no bounds
/// checks, no shared index helpers, everything in `Double` (exact for the integer cases).
///
/// `input` is `[N, C, D, H, W]` row-major, `weight` `[K, C/g, kd, kh, kw]`; returns `[N, K, Do, Ho, Wo]`.
func naiveConv3D(_ input: [Double], _ weight: [Double], _ p: Conv3DParameters) -> [Double] {
    let n = p.batch, c = p.inputChannels, k = p.outputChannels, g = p.groups
    let (d, h, w) = (p.input.depth, p.input.height, p.input.width)
    let pad = p.padding
    let (pd, ph, pw) = (d + pad.front + pad.back, h + pad.top + pad.bottom, w + pad.left + pad.right)
    var padded = [Double](repeating: 0, count: n * c * pd * ph * pw)
    for i in 0..<n { for ch in 0..<c { for z in 0..<d { for y in 0..<h { for x in 0..<w {
        padded[(((i * c + ch) * pd + z + pad.front) * ph + y + pad.top) * pw + x + pad.left] =
            input[(((i * c + ch) * d + z) * h + y) * w + x]
    } } } } }

    let (kd, kh, kw) = (p.kernel.depth, p.kernel.height, p.kernel.width)
    let (sd, sh, sw) = (p.stride.depth, p.stride.height, p.stride.width)
    let (dd, dh, dw) = (p.dilation.depth, p.dilation.height, p.dilation.width)
    // Output extents from the formula, not from `p.output`.
    let od = (pd - dd * (kd - 1) - 1) / sd + 1
    let oh = (ph - dh * (kh - 1) - 1) / sh + 1
    let ow = (pw - dw * (kw - 1) - 1) / sw + 1
    let cg = c / g, kg = k / g
    var out: [Double] = []
    for i in 0..<n { for f in 0..<k { for z in 0..<od { for y in 0..<oh { for x in 0..<ow {
        var sum = 0.0
        for ci in 0..<cg { for a in 0..<kd { for b in 0..<kh { for e in 0..<kw {
            let ch = (f / kg) * cg + ci
            let value = padded[(((i * c + ch) * pd + z * sd + a * dd) * ph + y * sh + b * dh) * pw + x * sw + e * dw]
            sum += value * weight[(((f * cg + ci) * kd + a) * kh + b) * kw + e]
        } } } }
        out.append(sum)
    } } } } }
    return out
}
