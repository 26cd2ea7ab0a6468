/// A named convolution that Q3D is measured on.
public struct NamedConv3D: Sendable {
    public let name: String
    public let parameters: Conv3DParameters

    public init(_ name: String, _ parameters: Conv3DParameters) {
        self.name = name
        self.parameters = parameters
    }
}

/// The benchmark layers of `shared/ANCHORS.md`: the R3D-18 stem and stages, the factored R(2+1)D
/// convolutions, an I3D pointwise convolution and a 3D U-Net level, at the batch given there.
public enum AnchorLayers {
    public static func all(batch: Int? = nil) -> [NamedConv3D] {
        func conv(
            _ name: String, _ n: Int, _ c: Int, _ k: Int, _ dhw: Extent3, _ kernel: Extent3,
            stride: Extent3 = Extent3(uniform: 1), pad: Extent3
        ) -> NamedConv3D {
            // The values below are fixed and valid; a failure here is a programming error in this table.
            let p = try! Conv3DParameters(
                batch: batch ?? n, inputChannels: c, outputChannels: k, input: dhw, kernel: kernel,
                stride: stride, padding: .explicit(Padding3D(symmetric: pad)))
            return NamedConv3D(name, p)
        }
        let k3 = Extent3(uniform: 3)
        let p1 = Extent3(uniform: 1)
        return [
            conv("r3d.stem", 8, 3, 64, Extent3(16, 112, 112), Extent3(3, 7, 7), stride: Extent3(1, 2, 2), pad: Extent3(1, 3, 3)),
            conv("r3d.l1", 8, 64, 64, Extent3(16, 56, 56), k3, pad: p1),
            conv("r3d.l2", 8, 128, 128, Extent3(8, 28, 28), k3, pad: p1),
            conv("r3d.l3", 8, 256, 256, Extent3(4, 14, 14), k3, pad: p1),
            conv("r3d.l4", 8, 512, 512, Extent3(2, 7, 7), k3, pad: p1),
            conv("r2p1d.s", 8, 64, 144, Extent3(16, 56, 56), Extent3(1, 3, 3), pad: Extent3(0, 1, 1)),
            conv("r2p1d.t", 8, 144, 64, Extent3(16, 56, 56), Extent3(3, 1, 1), pad: Extent3(1, 0, 0)),
            conv("i3d.pw", 8, 256, 64, Extent3(8, 28, 28), Extent3(uniform: 1), pad: Extent3(uniform: 0)),
            conv("unet.64", 1, 64, 64, Extent3(64, 64, 64), k3, pad: p1),
        ]
    }

    /// The workloads every GPU template's space is compiled and verified on: a large 3x3x3 layer, the
    /// temporal 3x1x1 layer, the RGB stem (C = 3, 3x7x7, stride 1,2,2), and an odd one (C = 24,
    /// K = 40, 9x9x9, dilation 2, padding 0,1,1,2,2,1).
    public static func verificationSet(batch: Int? = nil) -> [NamedConv3D] {
        // Fixed, valid values; a failure here is a programming error in this table.
        let odd = try! Conv3DParameters(
            batch: batch ?? 1, inputChannels: 24, outputChannels: 40, input: Extent3(uniform: 9),
            kernel: Extent3(uniform: 3), dilation: Extent3(uniform: 2),
            padding: .explicit(Padding3D(front: 0, top: 1, left: 1, back: 2, bottom: 2, right: 1)))
        let anchors = all(batch: batch)
        let named = ["r3d.l1", "r2p1d.t", "r3d.stem"].compactMap { name in anchors.first { $0.name == name } }
        return named + [NamedConv3D("odd.c24k40d2", odd)]
    }

    /// A workload set by name: `verify` (``verificationSet(batch:)``), `anchors` (``all(batch:)``), `dw`
    /// (``depthwiseSet(batch:)``), `grouped` (``groupedSet(batch:)``), or a comma-separated list of layer
    /// names from any of them.
    public static func set(named name: String, batch: Int? = nil) -> [NamedConv3D]? {
        switch name {
        case "verify": return verificationSet(batch: batch)
        case "anchors", "all": return all(batch: batch)
        case "dw", "depthwise": return depthwiseSet(batch: batch)
        case "grouped": return groupedSet(batch: batch)
        default:
            let pool = everyNamed(batch: batch)
            var result: [NamedConv3D] = []
            for part in name.split(separator: ",") {
                guard let layer = pool.first(where: { $0.name == part }) else { return nil }
                result.append(layer)
            }
            return result.isEmpty ? nil : result
        }
    }

    /// Every named workload: the benchmark layers, the odd verification workload, the depthwise and
    /// grouped sets.
    public static func everyNamed(batch: Int? = nil) -> [NamedConv3D] {
        all(batch: batch) + verificationSet(batch: batch).filter { $0.name.hasPrefix("odd") } + depthwiseSet(batch: batch)
            + groupedSet(batch: batch)
    }

    /// The workload called `name` (a benchmark layer, `odd.c24k40d2`, a depthwise or grouped one), or nil.
    public static func named(_ name: String, batch: Int? = nil) -> NamedConv3D? {
        everyNamed(batch: batch).first { $0.name == name }
    }
}
