import CCPUKernels
import ConvGeometry
import Tensors

extension Conv3DParameters {
    /// The convolution as the C kernels see it, with C/g padded to `channelAlignment`.
    func kernelGeometry(channelAlignment: Int) -> q3d_conv_geometry {
        let cg = inputChannelsPerGroup
        var g = q3d_conv_geometry()
        g.batch = Int64(batch)
        g.groups = Int64(groups)
        g.group_channels = Int64(cg)
        g.packed_group_channels = Int64((cg + channelAlignment - 1) / channelAlignment * channelAlignment)
        g.out_channels = Int64(outputChannels)
        g.group_out_channels = Int64(outputChannelsPerGroup)
        (g.depth, g.height, g.width) = (Int64(input.depth), Int64(input.height), Int64(input.width))
        (g.pad_front, g.pad_top, g.pad_left) = (Int64(padding.front), Int64(padding.top), Int64(padding.left))
        g.padded_depth = Int64(input.depth + padding.front + padding.back)
        g.padded_height = Int64(input.height + padding.top + padding.bottom)
        g.padded_width = Int64(input.width + padding.left + padding.right)
        (g.out_depth, g.out_height, g.out_width) = (Int64(output.depth), Int64(output.height), Int64(output.width))
        (g.kernel_depth, g.kernel_height, g.kernel_width) =
            (Int64(kernel.depth), Int64(kernel.height), Int64(kernel.width))
        (g.stride_depth, g.stride_height, g.stride_width) =
            (Int64(stride.depth), Int64(stride.height), Int64(stride.width))
        (g.dilation_depth, g.dilation_height, g.dilation_width) =
            (Int64(dilation.depth), Int64(dilation.height), Int64(dilation.width))
        return g
    }

    /// Shape of the padded channels-last copy of the input, `[N, Dp, Hp, Wp, g·Cg']`; throws when its
    /// element count overflows `Int`.
    func packedInputShape(channelAlignment: Int) throws(CPUKernelsError) -> (shape: [Int], count: Int) {
        let g = kernelGeometry(channelAlignment: channelAlignment)
        let shape = [g.batch, g.padded_depth, g.padded_height, g.padded_width, g.groups * g.packed_group_channels]
            .map { Int($0) }
        guard let count = Tensor<Float>.elementCount(of: shape) else { throw .inputTooLarge(shape: shape) }
        return (shape, count)
    }
}
