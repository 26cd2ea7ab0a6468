import ArgumentParser
import ConvGeometry

/// The flags that describe one convolution, shared by `conv3d`, `compile` and `tune`.
///
/// Either `--layer NAME` (a benchmark layer of shared/ANCHORS.md, optionally with `--batch`) or
/// `--input N,C,D,H,W --weight K,C/groups,kd,kh,kw` with optional stride, padding, dilation and groups.
struct ConvOptions: ParsableArguments {
    @Option(help: "A named benchmark layer instead of --input/--weight: \(AnchorLayers.all().map(\.name).joined(separator: ", ")); or a layer of the dw and grouped sets (e.g. dw.c96, g32.c256).")
    var layer: String?

    @Option(help: "Batch for --layer (default: the layer's own), or for tune --model.")
    var batch: Int?

    @Option(help: "Input shape N,C,D,H,W.")
    var input: String?

    @Option(help: "Weight shape K,C/groups,kd,kh,kw.")
    var weight: String?

    @Option(help: "Stride: s or sd,sh,sw.")
    var stride: String = "1"

    @Option(help: "Padding: p, pd,ph,pw, or front,top,left,back,bottom,right; or SAME_UPPER, SAME_LOWER, VALID.")
    var pad: String = "0"

    @Option(help: "Dilation: d or dd,dh,dw.")
    var dilation: String = "1"

    @Option(help: "Groups (C and K must both be divisible by it; groups = C is depthwise).")
    var groups: Int = 1

    /// The convolution these flags describe; throws a message naming the bad flag or value.
    func parameters() throws -> (name: String?, parameters: Conv3DParameters) {
        if let layer {
            guard input == nil, weight == nil else {
                throw ValidationError("give either --layer or --input/--weight, not both")
            }
            // An anchor layer, or one named layer of the verification, depthwise and grouped sets.
            let fromSets = AnchorLayers.set(named: layer, batch: batch).flatMap { $0.count == 1 ? $0[0] : nil }
            guard let named = AnchorLayers.named(layer, batch: batch) ?? fromSets else {
                throw ValidationError(
                    "unknown layer '\(layer)'; expected one of \(AnchorLayers.all().map(\.name).joined(separator: ", ")) "
                        + "or a layer of the dw and grouped sets")
            }
            return (named.name, named.parameters)
        }
        guard let input else { throw ValidationError("missing --input N,C,D,H,W (or --layer NAME)") }
        guard let weight else { throw ValidationError("missing --weight K,C/groups,kd,kh,kw") }
        let x = try Self.integers(input, flag: "--input", count: [5])
        let w = try Self.integers(weight, flag: "--weight", count: [5])
        if batch != nil { throw ValidationError("--batch goes with --layer; with --input give N as its first value") }
        guard groups > 0 else { throw ValidationError("--groups is \(groups); expected a positive value") }
        guard x[1] % groups == 0 else {
            throw ValidationError("input channels \(x[1]) are not divisible by groups \(groups)")
        }
        guard w[1] * groups == x[1] else {
            throw ValidationError(
                "--weight has \(w[1]) input channels per group, but --input has \(x[1]) channels and --groups is \(groups) "
                    + "(expected \(x[1] / groups))")
        }
        let rule: PaddingRule
        switch pad.uppercased() {
        case "SAME_UPPER": rule = .sameUpper
        case "SAME_LOWER": rule = .sameLower
        case "VALID": rule = .valid
        default: rule = .explicit(try Padding3D(Self.integers(pad, flag: "--pad", count: [1, 3, 6])))
        }
        let p = try Conv3DParameters(
            batch: x[0], inputChannels: x[1], outputChannels: w[0],
            input: Extent3(x[2], x[3], x[4]), kernel: Extent3(w[2], w[3], w[4]),
            stride: Extent3(Self.integers(stride, flag: "--stride", count: [1, 3]), name: "--stride"),
            dilation: Extent3(Self.integers(dilation, flag: "--dilation", count: [1, 3]), name: "--dilation"),
            padding: rule, groups: groups)
        return (nil, p)
    }

    /// Parses "a,b,c" into integers; names the flag and the bad text when it is not a list of
    /// `count` integers.
    static func integers(_ text: String, flag: String, count: [Int]) throws -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var values: [Int] = []
        for part in parts {
            guard let v = Int(part.trimmingCharacters(in: " ")) else {
                throw ValidationError("\(flag) '\(text)': '\(part)' is not an integer")
            }
            values.append(v)
        }
        guard count.contains(values.count) else {
            let expected = count.map(String.init).joined(separator: " or ")
            throw ValidationError("\(flag) '\(text)' has \(values.count) values; expected \(expected)")
        }
        return values
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return s
    }
}
