/// Everything that fixes the shape of one 3D convolution: the letters every other part of Q3D uses.
///
/// | letter | meaning |
/// |---|---|
/// | N | batch (clips) |
/// | C | input channels |
/// | K | output channels (filters) |
/// | D, H, W | input depth (time or slices), height, width |
/// | kd, kh, kw | kernel depth, height, width |
/// | Do, Ho, Wo | output depth, height, width |
/// | g | groups: input and output channels split into g independent convolutions |
///
/// Logical tensors are input `[N, C, D, H, W]`, weight `[K, C/g, kd, kh, kw]`, output
/// `[N, K, Do, Ho, Wo]`. Along each axis the output extent is
/// `floor((in + padBefore + padAfter - dilation·(k-1) - 1) / stride) + 1`, and output element `o`
/// reads input elements `o·stride - padBefore + t·dilation` for kernel taps `t` in `0..<k`
/// (elements outside the input read as zero).
///
/// ```swift
/// let l2 = try Conv3DParameters(batch: 8, inputChannels: 128, outputChannels: 128,
///                               input: Extent3(8, 28, 28), kernel: Extent3(uniform: 3),
///                               padding: .explicit(Padding3D([1])))
/// l2.output   // 8x28x28
/// l2.flops    // 44_392_513_536
/// ```
///
/// The initializer validates every value and throws ``ConvGeometryError`` naming the bad one, so a
/// `Conv3DParameters` value always describes a convolution with a non-empty output.
public struct Conv3DParameters: Hashable, Sendable, CustomStringConvertible {
    public let batch: Int
    public let inputChannels: Int
    public let outputChannels: Int
    public let input: Extent3
    public let kernel: Extent3
    public let stride: Extent3
    public let dilation: Extent3
    /// The padding actually applied, with any `auto_pad` rule already resolved.
    public let padding: Padding3D
    public let groups: Int
    /// Output depth, height and width.
    public let output: Extent3

    public init(
        batch: Int, inputChannels: Int, outputChannels: Int,
        input: Extent3, kernel: Extent3,
        stride: Extent3 = Extent3(uniform: 1), dilation: Extent3 = Extent3(uniform: 1),
        padding: PaddingRule = .explicit(.zero), groups: Int = 1
    ) throws(ConvGeometryError) {
        try Self.requirePositive("batch N", batch)
        try Self.requirePositive("input channels C", inputChannels)
        try Self.requirePositive("output channels K", outputChannels)
        try Self.requirePositive("groups", groups)
        for (axis, i) in zip(["depth", "height", "width"], 0..<3) {
            try Self.requirePositive("input \(axis)", input.array[i])
            try Self.requirePositive("kernel \(axis)", kernel.array[i])
            try Self.requirePositive("stride \(axis)", stride.array[i])
            try Self.requirePositive("dilation \(axis)", dilation.array[i])
        }
        guard inputChannels % groups == 0 else {
            throw .channelsNotDivisible(name: "input channels", channels: inputChannels, groups: groups)
        }
        guard outputChannels % groups == 0 else {
            throw .channelsNotDivisible(name: "output channels", channels: outputChannels, groups: groups)
        }
        let resolved = Self.resolve(padding, input: input, kernel: kernel, stride: stride, dilation: dilation)
        for (side, value) in zip(["front", "top", "left", "back", "bottom", "right"], resolved.array) where value < 0 {
            throw .negative(name: "padding \(side)", value: value)
        }
        var out = [0, 0, 0]
        for (axis, i) in zip(["depth", "height", "width"], 0..<3) {
            let span = input.array[i] + resolved.before.array[i] + resolved.after.array[i]
            let window = dilation.array[i] * (kernel.array[i] - 1) + 1
            guard span >= window else {
                throw .emptyOutput(
                    axis: axis, input: input.array[i], kernel: kernel.array[i], dilation: dilation.array[i],
                    padBefore: resolved.before.array[i], padAfter: resolved.after.array[i])
            }
            out[i] = (span - window) / stride.array[i] + 1
        }
        self.batch = batch
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.input = input
        self.kernel = kernel
        self.stride = stride
        self.dilation = dilation
        self.padding = resolved
        self.groups = groups
        self.output = Extent3(out[0], out[1], out[2])
    }

    private static func requirePositive(_ name: String, _ value: Int) throws(ConvGeometryError) {
        guard value > 0 else { throw .notPositive(name: name, value: value) }
    }

    /// Resolves ONNX's `auto_pad` rules: for SAME_*, the output extent is ceil(input / stride) and the
    /// total padding is whatever makes the last window end at or past the last padded element.
    static func resolve(
        _ rule: PaddingRule, input: Extent3, kernel: Extent3, stride: Extent3, dilation: Extent3
    ) -> Padding3D {
        switch rule {
        case .explicit(let padding): return padding
        case .valid: return .zero
        case .sameUpper, .sameLower:
            var before = [0, 0, 0]
            var after = [0, 0, 0]
            for i in 0..<3 {
                let outExtent = (input.array[i] + stride.array[i] - 1) / stride.array[i]
                let window = dilation.array[i] * (kernel.array[i] - 1) + 1
                let total = max(0, (outExtent - 1) * stride.array[i] + window - input.array[i])
                let small = total / 2
                let large = total - small
                if rule == .sameUpper {
                    before[i] = small
                    after[i] = large
                } else {
                    before[i] = large
                    after[i] = small
                }
            }
            return Padding3D(
                front: before[0], top: before[1], left: before[2],
                back: after[0], bottom: after[1], right: after[2])
        }
    }

    /// Input channels seen by one group (the weight's second dimension).
    public var inputChannelsPerGroup: Int { inputChannels / groups }
    /// Output channels produced by one group.
    public var outputChannelsPerGroup: Int { outputChannels / groups }
    /// True when every group has exactly one input channel (a depthwise convolution).
    public var isDepthwise: Bool { groups > 1 && groups == inputChannels }

    /// `[N, C, D, H, W]`.
    public var inputShape: [Int] { [batch, inputChannels, input.depth, input.height, input.width] }
    /// `[K, C/g, kd, kh, kw]`.
    public var weightShape: [Int] { [outputChannels, inputChannelsPerGroup] + kernel.array }
    /// `[N, K, Do, Ho, Wo]`.
    public var outputShape: [Int] { [batch, outputChannels, output.depth, output.height, output.width] }

    /// Length of one output element's dot product: (C/g)·kd·kh·kw.
    public var reductionLength: Int { inputChannelsPerGroup * kernel.volume }

    /// Multiply-adds counted as two operations: 2·N·K·Do·Ho·Wo·(C/g)·kd·kh·kw.
    public var flops: Int { 2 * batch * outputChannels * output.volume * reductionLength }

    /// The implicit-GEMM view of one group: M = N·Do·Ho·Wo output pixels, N = K/g output channels,
    /// K = kd·kh·kw·C/g reduction.
    public var gemm: GemmShape {
        GemmShape(m: batch * output.volume, n: outputChannelsPerGroup, k: reductionLength)
    }

    /// Throws when an int8 x int8 dot product of this length could overflow an int32 accumulator:
    /// each product is at most 128·128 in magnitude, so lengths up to 2^31 / 2^14 = 131,072 are safe.
    public func checkInt8Accumulation() throws(ConvGeometryError) {
        let limit = Int(Int32.max) / (128 * 128)
        if reductionLength > limit { throw .accumulatorOverflow(reduction: reductionLength, limit: limit) }
    }

    public var description: String {
        var parts = [
            "N=\(batch) C=\(inputChannels) K=\(outputChannels)", "in \(input)", "kernel \(kernel)",
        ]
        if stride != Extent3(uniform: 1) { parts.append("stride \(stride.array.map(String.init).joined(separator: ","))") }
        if dilation != Extent3(uniform: 1) { parts.append("dilation \(dilation.array.map(String.init).joined(separator: ","))") }
        if padding != .zero { parts.append("pad \(padding)") }
        if groups != 1 { parts.append("groups \(groups)") }
        parts.append("out \(output)")
        return parts.joined(separator: ", ")
    }
}

/// The matrix-product shape of an implicit-GEMM convolution: an M x K matrix times a K x N one.
public struct GemmShape: Hashable, Codable, Sendable {
    public var m: Int
    public var n: Int
    public var k: Int
}

extension Conv3DParameters: Codable {
    private enum CodingKeys: String, CodingKey {
        case batch, inputChannels, outputChannels, input, kernel, stride, dilation, padding, groups
    }

    /// Decodes and validates: a stored workload that describes no valid convolution is an error.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            batch: c.decode(Int.self, forKey: .batch),
            inputChannels: c.decode(Int.self, forKey: .inputChannels),
            outputChannels: c.decode(Int.self, forKey: .outputChannels),
            input: c.decode(Extent3.self, forKey: .input),
            kernel: c.decode(Extent3.self, forKey: .kernel),
            stride: c.decode(Extent3.self, forKey: .stride),
            dilation: c.decode(Extent3.self, forKey: .dilation),
            padding: .explicit(c.decode(Padding3D.self, forKey: .padding)),
            groups: c.decode(Int.self, forKey: .groups))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(batch, forKey: .batch)
        try c.encode(inputChannels, forKey: .inputChannels)
        try c.encode(outputChannels, forKey: .outputChannels)
        try c.encode(input, forKey: .input)
        try c.encode(kernel, forKey: .kernel)
        try c.encode(stride, forKey: .stride)
        try c.encode(dilation, forKey: .dilation)
        try c.encode(padding, forKey: .padding)
        try c.encode(groups, forKey: .groups)
    }
}
