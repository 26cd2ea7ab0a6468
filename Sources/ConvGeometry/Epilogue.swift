/// What a convolution does to each int32 accumulator before it writes the output.
///
/// Every kernel that produces int8 (CPU or GPU) applies exactly this arithmetic, in this order, in fp32
/// with fused multiply-adds, so that int8 outputs of different implementations are bit-identical and
/// tests compare them exactly:
///
///     v = fma(Float(acc), scale[k], bias[k])            // requantize and add the bias
///     v = fma(Float(residual), residualScale, v)        // only with a residual input
///     v = max(v, 0)                                     // only with ReLU
///     out = clamp(roundHalfToEven(v), -128, 127)
///
/// `Float(acc)` rounds to nearest even (the GPU's `__int2float_rn`), and the rounding is the GPU's
/// `__float2int_rn`. On the GPU the same three steps are `__fmaf_rn`, `fmaxf` and `__float2int_rn`.
public struct Epilogue: Hashable, Sendable {
    /// Per output channel: the factor taking the int32 accumulator to output units.
    public var scale: [Float]
    /// Per output channel, in output units (added after scaling).
    public var bias: [Float]
    public var relu: Bool
    /// When set, an int8 tensor shaped like the output is added after scaling, times this factor.
    public var residualScale: Float?

    public init(scale: [Float], bias: [Float], relu: Bool = false, residualScale: Float? = nil) {
        self.scale = scale
        self.bias = bias
        self.relu = relu
        self.residualScale = residualScale
    }

    /// Requantizes one accumulator of output channel `channel`. `residual` is ignored unless
    /// `residualScale` is set.
    @inlinable
    public func apply(_ acc: Int32, channel: Int, residual: Int8 = 0) -> Int8 {
        var v = bias[channel].addingProduct(Float(acc), scale[channel])
        if let residualScale { v = v.addingProduct(Float(residual), residualScale) }
        if relu { v = max(v, 0) }
        return Epilogue.saturate(v)
    }

    /// Rounds half to even and clamps to [-128, 127]; NaN becomes 0 (as `__float2int_rn` then clamp does).
    @inlinable
    public static func saturate(_ v: Float) -> Int8 {
        guard !v.isNaN else { return 0 }
        let r = v.rounded(.toNearestOrEven)
        if r >= 127 { return 127 }
        if r <= -128 { return -128 }
        return Int8(r)
    }
}
