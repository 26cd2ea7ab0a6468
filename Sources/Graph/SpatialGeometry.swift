import ConvGeometry

/// Convolutions and pools over 1 or 2 spatial axes run as 3D ones with leading unit axes: a 2D
/// convolution on `[N, C, H, W]` is a 3D one on `[N, C, 1, H, W]` with kernel depth 1. These helpers
/// lift ONNX's rank-generic attributes to ``Conv3DParameters`` so that one set of padding and extent
/// rules (ConvGeometry's) serves every rank.
enum SpatialLift {
    /// `values` (one per spatial axis) preceded by `fill` up to three axes.
    static func extent(_ values: [Int], fill: Int) -> Extent3 {
        let v = Array(repeating: fill, count: max(0, 3 - values.count)) + values
        return Extent3(v[0], v[1], v[2])
    }

    /// ONNX pads (begins then ends) as 3D padding.
    static func padding(_ pads: [Int], rank: Int) -> Padding3D {
        let before = extent(Array(pads.prefix(rank)), fill: 0)
        let after = extent(Array(pads.suffix(rank)), fill: 0)
        return Padding3D(
            front: before.depth, top: before.height, left: before.width,
            back: after.depth, bottom: after.height, right: after.width)
    }

    static func rule(_ autoPad: AutoPad, pads: [Int], rank: Int) -> PaddingRule {
        PaddingRule(onnxAutoPad: autoPad.rawValue, explicit: padding(pads, rank: rank)) ?? .valid
    }
}

extension ConvAttributes {
    /// The 3D convolution this node computes on an input of `inputShape` (`[N, C, spatial...]`) with a
    /// weight of `weightShape` (`[K, C/groups, kernel...]`). Throws a message naming the mismatch.
    public func parameters(inputShape: [Int], weightShape: [Int]) throws(GraphShapeError) -> Conv3DParameters {
        let rank = spatialRank
        guard (1...3).contains(rank) else { throw .init("kernel has \(rank) spatial axes; expected 1, 2 or 3") }
        guard inputShape.count == rank + 2 else {
            throw .init("input has rank \(inputShape.count); a \(rank)D convolution expects rank \(rank + 2)")
        }
        guard weightShape.count == rank + 2 else {
            throw .init("weight has rank \(weightShape.count); a \(rank)D convolution expects rank \(rank + 2)")
        }
        guard Array(weightShape.suffix(rank)) == kernel else {
            throw .init("weight has kernel \(weightShape.suffix(rank).map(String.init).joined(separator: "x")), attribute kernel_shape says \(kernel.map(String.init).joined(separator: "x"))")
        }
        guard strides.count == rank, dilations.count == rank, pads.count == 2 * rank else {
            throw .init("strides, dilations and pads must have \(rank), \(rank) and \(2 * rank) values; got \(strides.count), \(dilations.count) and \(pads.count)")
        }
        guard groups > 0, inputShape[1] % groups == 0, inputShape[1] / groups == weightShape[1] else {
            throw .init("input has \(inputShape[1]) channels, weight expects \(weightShape[1] * max(groups, 1)) (\(weightShape[1]) per group, \(groups) group\(groups == 1 ? "" : "s"))")
        }
        do {
            return try Conv3DParameters(
                batch: inputShape[0], inputChannels: inputShape[1], outputChannels: weightShape[0],
                input: SpatialLift.extent(Array(inputShape.suffix(rank)), fill: 1),
                kernel: SpatialLift.extent(kernel, fill: 1),
                stride: SpatialLift.extent(strides, fill: 1),
                dilation: SpatialLift.extent(dilations, fill: 1),
                padding: SpatialLift.rule(autoPad, pads: pads, rank: rank), groups: groups)
        } catch {
            throw .init("\(error)")
        }
    }
}

/// The windows of a pooling node lifted to 3D: input and output extents, window, stride, dilation and
/// the padding actually applied.
public struct PoolGeometry: Hashable, Sendable {
    public var input: Extent3
    public var output: Extent3
    public var kernel: Extent3
    public var stride: Extent3
    public var dilation: Extent3
    public var padding: Padding3D
}

extension PoolAttributes {
    /// The windows this pool slides over an input of `inputShape` (`[N, C, spatial...]`).
    ///
    /// With `ceilMode` the extent is rounded up, except that a last window starting past the input and
    /// its front padding is dropped (the rule ONNX Runtime and PyTorch share).
    public func geometry(inputShape: [Int]) throws(GraphShapeError) -> PoolGeometry {
        let rank = spatialRank
        guard (1...3).contains(rank) else { throw .init("kernel has \(rank) spatial axes; expected 1, 2 or 3") }
        guard inputShape.count == rank + 2 else {
            throw .init("input has rank \(inputShape.count); a \(rank)D pool expects rank \(rank + 2)")
        }
        guard strides.count == rank, dilations.count == rank, pads.count == 2 * rank else {
            throw .init("strides, dilations and pads must have \(rank), \(rank) and \(2 * rank) values; got \(strides.count), \(dilations.count) and \(pads.count)")
        }
        let window: Conv3DParameters
        do {
            // A pool slides its window exactly as a one-channel convolution with the same kernel does.
            window = try Conv3DParameters(
                batch: 1, inputChannels: 1, outputChannels: 1,
                input: SpatialLift.extent(Array(inputShape.suffix(rank)), fill: 1),
                kernel: SpatialLift.extent(kernel, fill: 1),
                stride: SpatialLift.extent(strides, fill: 1),
                dilation: SpatialLift.extent(dilations, fill: 1),
                padding: SpatialLift.rule(autoPad, pads: pads, rank: rank))
        } catch {
            throw .init("\(error)")
        }
        var output = window.output.array
        if ceilMode && autoPad == .notSet {
            for i in 0..<3 {
                let span = window.input.array[i] + window.padding.before.array[i] + window.padding.after.array[i]
                let reach = window.dilation.array[i] * (window.kernel.array[i] - 1) + 1
                let s = window.stride.array[i]
                var out = (span - reach + s - 1) / s + 1
                if (out - 1) * s >= window.input.array[i] + window.padding.before.array[i] { out -= 1 }
                output[i] = out
            }
        }
        return PoolGeometry(
            input: window.input, output: Extent3(output[0], output[1], output[2]), kernel: window.kernel,
            stride: window.stride, dilation: window.dilation, padding: window.padding)
    }
}

/// A shape rule's complaint, before it knows which node it is about; ``GraphError`` adds the node.
public struct GraphShapeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
