import CCPUKernels
import ConvGeometry
import Tensors

/// The fast CPU 3D convolutions: input packed once into a zero-padded channels-last copy, register
/// tiles of 6 output pixels x 16 output channels computed with AVX2 (`vpmaddwd` for int8, FMA for
/// float) or portable C, and output rows split over threads.
///
/// Shapes are those of ``ReferenceConv3D``: input `[N, C, D, H, W]` (NCDHW), weight
/// `[K, C/g, kd, kh, kw]` (OIDHW), output `[N, K, Do, Ho, Wo]` (NCDHW). Int8 results equal the
/// reference's exactly (and the fused epilogue equals ``ConvGeometry/Epilogue/apply(_:channel:residual:)``
/// bit for bit) on every instruction set; float results agree with it to float32 rounding.
///
/// ```swift
/// let packed = try PackedConv3DWeights(w, parameters: p)
/// let acc = try FastConv3D.conv3d(x, packed, parameters: p)                      // Tensor<Int32>
/// let y = try FastConv3D.conv3d(x, packed, parameters: p, epilogue: epilogue)    // Tensor<Int8>
/// let f = try FastConv3D.conv3d(xf, wf, bias: b, relu: true, parameters: p)      // packs wf itself
/// ```
///
/// Grouped convolutions use the tiled kernel per group; depthwise ones (C/g = 1) a simpler direct
/// loop, still threaded.
public enum FastConv3D {
    /// Exact int8 x int8 convolution into int32 accumulators.
    public static func conv3d(
        _ input: Tensor<Int8>, _ weights: PackedConv3DWeights<Int8>, parameters p: Conv3DParameters,
        options: CPUConv3DOptions = CPUConv3DOptions()
    ) throws(CPUKernelsError) -> Tensor<Int32> {
        try checkInt8(input, weights, p, options)
        let packed = try packInput(input, p, weights.family, options)
        let result: [Int32] = uninitializedOutput(count: p.outputShape.reduce(1, *)) { values in
            var destination = q3d_int_output()
            destination.accumulators = values.baseAddress
            run(packed, weights, p, destination, options)
        }
        return try tensor(result, p)
    }

    /// Int8 convolution with the fused requantizing epilogue: per output channel scale and bias, an
    /// optional int8 residual shaped like the output (given exactly when `epilogue.residualScale` is
    /// set), ReLU, round half to even and saturation to int8 — bit-identical to ``ConvGeometry/Epilogue``.
    public static func conv3d(
        _ input: Tensor<Int8>, _ weights: PackedConv3DWeights<Int8>, parameters p: Conv3DParameters,
        epilogue: Epilogue, residual: Tensor<Int8>? = nil, options: CPUConv3DOptions = CPUConv3DOptions()
    ) throws(CPUKernelsError) -> Tensor<Int8> {
        try checkInt8(input, weights, p, options)
        try p.checkEpilogue(epilogue, residual: residual)
        let packed = try packInput(input, p, weights.family, options)
        let residualValues = residual?.elements ?? []
        let result: [Int8] = epilogue.scale.withUnsafeBufferPointer { scale in
            epilogue.bias.withUnsafeBufferPointer { bias in
                residualValues.withUnsafeBufferPointer { residualBuffer in
                    uninitializedOutput(count: p.outputShape.reduce(1, *)) { values in
                        var destination = q3d_int_output()
                        destination.requantized = values.baseAddress
                        destination.scale = scale.baseAddress
                        destination.bias = bias.baseAddress
                        destination.residual = residual == nil ? nil : residualBuffer.baseAddress
                        destination.residual_scale = epilogue.residualScale ?? 0
                        destination.relu = epilogue.relu ? 1 : 0
                        run(packed, weights, p, destination, options)
                    }
                }
            }
        }
        return try tensor(result, p)
    }

    /// Float convolution with an optional per-output-channel bias and ReLU.
    public static func conv3d(
        _ input: Tensor<Float>, _ weights: PackedConv3DWeights<Float>, bias: [Float]? = nil, relu: Bool = false,
        parameters p: Conv3DParameters, options: CPUConv3DOptions = CPUConv3DOptions()
    ) throws(CPUKernelsError) -> Tensor<Float> {
        try options.validate()
        try p.checkInput(input)
        try weights.check(against: p)
        if let bias { try p.checkPerChannel(bias, name: "bias") }
        let packed = try packInput(input, p, weights.family, options)
        let biasValues = bias ?? []
        let result: [Float] = biasValues.withUnsafeBufferPointer { biasBuffer in
            uninitializedOutput(count: p.outputShape.reduce(1, *)) { values in
                var destination = q3d_float_output()
                destination.values = values.baseAddress
                destination.bias = bias == nil ? nil : biasBuffer.baseAddress
                destination.relu = relu ? 1 : 0
                run(packed, weights, p, destination, options)
            }
        }
        return try tensor(result, p)
    }

    /// One-shot int8 -> int32 convolution: packs `weight` (OIDHW) and runs. Pack once with
    /// ``PackedConv3DWeights`` when the layer runs more than once.
    public static func conv3d(
        _ input: Tensor<Int8>, _ weight: Tensor<Int8>, parameters p: Conv3DParameters,
        options: CPUConv3DOptions = CPUConv3DOptions()
    ) throws(CPUKernelsError) -> Tensor<Int32> {
        try conv3d(input, PackedConv3DWeights(weight, parameters: p), parameters: p, options: options)
    }

    /// One-shot int8 convolution with the fused epilogue.
    public static func conv3d(
        _ input: Tensor<Int8>, _ weight: Tensor<Int8>, parameters p: Conv3DParameters,
        epilogue: Epilogue, residual: Tensor<Int8>? = nil, options: CPUConv3DOptions = CPUConv3DOptions()
    ) throws(CPUKernelsError) -> Tensor<Int8> {
        try conv3d(
            input, PackedConv3DWeights(weight, parameters: p), parameters: p, epilogue: epilogue,
            residual: residual, options: options)
    }

    /// One-shot float convolution.
    public static func conv3d(
        _ input: Tensor<Float>, _ weight: Tensor<Float>, bias: [Float]? = nil, relu: Bool = false,
        parameters p: Conv3DParameters, options: CPUConv3DOptions = CPUConv3DOptions()
    ) throws(CPUKernelsError) -> Tensor<Float> {
        try conv3d(
            input, PackedConv3DWeights(weight, parameters: p), bias: bias, relu: relu, parameters: p,
            options: options)
    }

    private static func checkInt8(
        _ input: Tensor<Int8>, _ weights: PackedConv3DWeights<Int8>, _ p: Conv3DParameters,
        _ options: CPUConv3DOptions
    ) throws(CPUKernelsError) {
        try options.validate()
        try p.checkInput(input)
        try weights.check(against: p)
        try p.checkInt8Reduction()
    }

    private static func tensor<Element>(_ values: [Element], _ p: Conv3DParameters) throws(CPUKernelsError)
        -> Tensor<Element>
    {
        do throws(TensorError) {
            return try Tensor(shape: p.outputShape, layout: .ncdhw, elements: values)
        } catch {
            throw .tensor(error)
        }
    }
}
