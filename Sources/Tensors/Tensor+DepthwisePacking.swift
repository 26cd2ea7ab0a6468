/// The weight layout of depthwise kernels.
extension Tensor {
    /// Depthwise OIDHW `[K, 1, kd, kh, kw]` to DHWO `[kd, kh, kw, Kp]`: taps outside, channels
    /// inside, with K padded with zero filters up to a multiple of `channelMultiple`. A depthwise
    /// kernel reads one tap of a vector of consecutive channels as one load.
    ///
    /// - Parameter channelMultiple: 1 (no padding) to 1024.
    /// - Throws: ``TensorError/outOfRange(name:value:expected:)`` (also when the filters have more than
    ///   one input channel), ``TensorError/layoutMismatch(expected:actual:)``,
    ///   ``TensorError/rankMismatch(layout:dimensions:shape:)``.
    public func packedDHWO(channelMultiple: Int = 1) throws(TensorError) -> Tensor {
        try Self.requireMultiple("channel multiple", channelMultiple)
        try requireLayout(.oidhw, dimensions: Self.oidhwDimensions)
        guard shape[1] == 1 else {
            throw .outOfRange(name: "input channels per filter of a depthwise weight", value: shape[1], expected: 1...1)
        }
        // [K, 1, kd, kh, kw] holds the same elements as one filter [1, K, kd, kh, kw] whose input
        // channels are the depthwise filters; its ODHWI form [1, kd, kh, kw, Kp] is DHWO.
        let single = try reshaped([1, shape[0]] + shape[2..<5], layout: .oidhw)
        let packed = try single.packedODHWI(inputChannelMultiple: channelMultiple)
        return try packed.reshaped(Array(packed.shape[1..<5]), layout: .dhwo)
    }
}
