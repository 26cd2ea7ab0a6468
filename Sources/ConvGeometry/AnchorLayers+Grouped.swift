extension AnchorLayers {
    /// Grouped workloads (1 < groups < C) for the grouped implicit GEMM's verification and benchmark
    /// (`--workloads grouped`, `--layers grouped`): ResNeXt-3D-like 3x3x3 layers with 32 groups of 4, 8
    /// and 16 channels (the last at stride 1,2,2), a channel-separated-like layer with 4 groups of 64, and
    /// two odd ones: C = 24, K = 40 in 2 groups (12 -> 20 channels) with dilation 2, asymmetric padding
    /// and odd extents, and C = 48, K = 36 in 4 groups (12 -> 9 channels: an odd K/G) at stride 1,2,2.
    public static func groupedSet(batch: Int? = nil) -> [NamedConv3D] {
        func grouped(
            _ name: String, _ n: Int, _ c: Int, _ k: Int, groups: Int, _ dhw: Extent3,
            stride: Extent3 = Extent3(uniform: 1), dilation: Extent3 = Extent3(uniform: 1),
            padding: Padding3D = Padding3D(symmetric: Extent3(uniform: 1))
        ) -> NamedConv3D {
            // Fixed, valid values; a failure here is a programming error in this table.
            let p = try! Conv3DParameters(
                batch: batch ?? n, inputChannels: c, outputChannels: k, input: dhw, kernel: Extent3(uniform: 3),
                stride: stride, dilation: dilation, padding: .explicit(padding), groups: groups)
            return NamedConv3D(name, p)
        }
        return [
            grouped("g32.c128", 8, 128, 128, groups: 32, Extent3(8, 56, 56)),
            grouped("g32.c256", 8, 256, 256, groups: 32, Extent3(8, 28, 28)),
            grouped("g32.c512s2", 8, 512, 512, groups: 32, Extent3(8, 28, 28), stride: Extent3(1, 2, 2)),
            grouped("g4.c256", 8, 256, 256, groups: 4, Extent3(8, 14, 14)),
            grouped(
                "g2.c24k40d2", 1, 24, 40, groups: 2, Extent3(9, 10, 11), dilation: Extent3(uniform: 2),
                padding: Padding3D(front: 0, top: 1, left: 2, back: 2, bottom: 1, right: 0)),
            grouped(
                "g4.c48k36s2", 1, 48, 36, groups: 4, Extent3(5, 13, 11), stride: Extent3(1, 2, 2),
                padding: Padding3D(front: 1, top: 0, left: 1, back: 1, bottom: 2, right: 1)),
        ]
    }
}
