import CCPUKernels
import ConvGeometry
import Tensors

/// Packing the input and running the C kernels over threads.
extension FastConv3D {
    /// The zero-padded channels-last int16 copy of `input` the int8 kernels read.
    static func packInput(
        _ input: Tensor<Int8>, _ p: Conv3DParameters, _ family: CPUKernelFamily, _ options: CPUConv3DOptions
    ) throws(CPUKernelsError) -> [Int16] {
        try packInput(input, p, channelAlignment: family.channelAlignment(pairedChannels: true), options) {
            q3d_pack_input_i8($0, $1, $2, $3, $4)
        }
    }

    /// The zero-padded channels-last copy of `input` the float kernels read.
    static func packInput(
        _ input: Tensor<Float>, _ p: Conv3DParameters, _ family: CPUKernelFamily, _ options: CPUConv3DOptions
    ) throws(CPUKernelsError) -> [Float] {
        try packInput(input, p, channelAlignment: family.channelAlignment(pairedChannels: false), options) {
            q3d_pack_input_f32($0, $1, $2, $3, $4)
        }
    }

    /// Copies `input` with `pack`, split over threads by padded planes (n, dp). `pack` writes every
    /// element, padding included, so the copy starts uninitialised rather than zeroed on one thread.
    private static func packInput<Source: TensorElement, Packed: Numeric>(
        _ input: Tensor<Source>, _ p: Conv3DParameters, channelAlignment: Int, _ options: CPUConv3DOptions,
        pack: (UnsafePointer<q3d_conv_geometry>, UnsafePointer<Source>, UnsafeMutablePointer<Packed>, Int64, Int64)
            -> Void
    ) throws(CPUKernelsError) -> [Packed] {
        let (shape, count) = try p.packedInputShape(channelAlignment: channelAlignment)
        let planes = shape[0] * shape[1]
        return withUnsafePointer(to: p.kernelGeometry(channelAlignment: channelAlignment)) { geometry in
            input.elements.withUnsafeBufferPointer { source in
                [Packed](unsafeUninitializedCapacity: count) { destination, initialized in
                    // Both hold at least one element: every extent of a valid convolution is positive.
                    guard let source = source.baseAddress, let destination = destination.baseAddress else { return }
                    forEachChunk(of: planes, threads: options.threads) { range in
                        pack(geometry, source, destination, Int64(range.lowerBound), Int64(range.count))
                    }
                    initialized = count
                }
            }
        }
    }

    /// An array of `count` elements that `write` fills completely, without zeroing it first: the
    /// kernels write every output element.
    static func uninitializedOutput<Element>(
        count: Int, _ write: (UnsafeMutableBufferPointer<Element>) -> Void
    ) -> [Element] {
        [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
            write(buffer)
            initialized = count
        }
    }

    /// Runs the int8 kernel of `weights.family` on the packed input, writing `output`.
    static func run(
        _ input: [Int16], _ weights: PackedConv3DWeights<Int8>, _ p: Conv3DParameters, _ output: q3d_int_output,
        _ options: CPUConv3DOptions
    ) {
        let geometry = p.kernelGeometry(channelAlignment: weights.family.channelAlignment(pairedChannels: true))
        let isa = options.instructionSet.kernelCode
        run(input, weights, geometry, output, options) { g, x, w, out, first, count in
            switch weights.family {
            case .tiled: q3d_conv_tiled_i16(g, x, w, out, first, count, isa)
            case .depthwise: q3d_conv_depthwise_i16(g, x, w, out, first, count)
            }
        }
    }

    /// Runs the float kernel of `weights.family` on the packed input, writing `output`.
    static func run(
        _ input: [Float], _ weights: PackedConv3DWeights<Float>, _ p: Conv3DParameters, _ output: q3d_float_output,
        _ options: CPUConv3DOptions
    ) {
        let geometry = p.kernelGeometry(channelAlignment: weights.family.channelAlignment(pairedChannels: false))
        let isa = options.instructionSet.kernelCode
        run(input, weights, geometry, output, options) { g, x, w, out, first, count in
            switch weights.family {
            case .tiled: q3d_conv_tiled_f32(g, x, w, out, first, count, isa)
            case .depthwise: q3d_conv_depthwise_f32(g, x, w, out, first, count)
            }
        }
    }

    /// Hands `kernel` stable pointers to everything and splits its work items over threads.
    private static func run<Element: CPUConvolutionElement, Output>(
        _ input: [Element.Packed], _ weights: PackedConv3DWeights<Element>, _ geometry: q3d_conv_geometry,
        _ output: Output, _ options: CPUConv3DOptions,
        kernel: (
            UnsafePointer<q3d_conv_geometry>, UnsafePointer<Element.Packed>, UnsafePointer<Element.Packed>,
            UnsafePointer<Output>, Int64, Int64
        ) -> Void
    ) {
        withUnsafePointer(to: geometry) { g in
            withUnsafePointer(to: output) { out in
                input.withUnsafeBufferPointer { x in
                    weights.values.withUnsafeBufferPointer { w in
                        guard let x = x.baseAddress, let w = w.baseAddress else { return }
                        let items = Int(
                            weights.family == .tiled ? q3d_tiled_items(g) : q3d_depthwise_items(g))
                        forEachChunk(of: items, threads: options.threads) { range in
                            kernel(g, x, w, out, Int64(range.lowerBound), Int64(range.count))
                        }
                    }
                }
            }
        }
    }
}
