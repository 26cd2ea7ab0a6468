extension AnchorLayers {
    /// Depthwise workloads (groups == C == K) for the depthwise template's verification and
    /// benchmark (`--workloads dw`, `--layers dw`): X3D-like 3x3x3 layers with C = 96 at stride 1 and
    /// 1,2,2, a C = 54 layer whose channel pitch (56) rules out 16-channel vectors, and an odd one
    /// (C = 21, dilation 2, asymmetric padding 0,1,2,2,1,0, odd extents).
    public static func depthwiseSet(batch: Int? = nil) -> [NamedConv3D] {
        func dw(
            _ name: String, _ n: Int, _ c: Int, _ dhw: Extent3, _ kernel: Extent3 = Extent3(uniform: 3),
            stride: Extent3 = Extent3(uniform: 1), dilation: Extent3 = Extent3(uniform: 1), padding: Padding3D
        ) -> NamedConv3D {
            // Fixed, valid values; a failure here is a programming error in this table.
            let p = try! Conv3DParameters(
                batch: batch ?? n, inputChannels: c, outputChannels: c, input: dhw, kernel: kernel, stride: stride,
                dilation: dilation, padding: .explicit(padding), groups: c)
            return NamedConv3D(name, p)
        }
        let same = Padding3D(symmetric: Extent3(uniform: 1))
        return [
            dw("dw.c96", 8, 96, Extent3(16, 56, 56), padding: same),
            dw("dw.c96s2", 8, 96, Extent3(16, 56, 56), stride: Extent3(1, 2, 2), padding: same),
            dw("dw.c54", 8, 54, Extent3(16, 28, 28), padding: same),
            dw(
                "dw.c21d2", 1, 21, Extent3(9, 10, 11), dilation: Extent3(uniform: 2),
                padding: Padding3D(front: 0, top: 1, left: 2, back: 2, bottom: 1, right: 0)),
        ]
    }
}
