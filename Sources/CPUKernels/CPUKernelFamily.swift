import ConvGeometry

/// Which C kernel computes a convolution, and how it wants its data packed.
enum CPUKernelFamily: Hashable, Sendable {
    /// Register tiles of 16 output channels: everything but depthwise.
    case tiled
    /// One input channel per group: a direct loop per output channel.
    case depthwise

    init(_ p: Conv3DParameters) {
        self = p.isDepthwise ? .depthwise : .tiled
    }

    /// What C/g is rounded up to in the packed input and weights: the tiled int8 kernel multiplies
    /// int16 channel pairs (`pairedChannels`), everything else single channels.
    func channelAlignment(pairedChannels: Bool) -> Int {
        self == .tiled && pairedChannels ? 2 : 1
    }
}
