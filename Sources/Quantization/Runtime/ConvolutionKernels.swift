import CPUKernels
import ConvGeometry
import Tensors

/// Convolutions of every rank on the CPU through `CPUKernels`' fast conv3d: 1D and 2D convolutions
/// run as 3D ones with unit leading axes, so tensors are viewed in the lifted shapes of
/// ``Conv3DParameters`` (same elements, no copy of the data's order).
enum ConvolutionKernels {
    /// Float convolution with bias, residual and ReLU fused: `relu(conv(x, w) + bias + residual)`.
    static func float(
        x: Tensor<Float>, w: Tensor<Float>, bias: [Float]?, residual: [Float]?, relu: Bool, p: Conv3DParameters
    ) throws(CPUKernelsError) -> [Float] {
        let x3 = try lifted(x, p.inputShape)
        let w3 = try lifted(w, p.weightShape)
        // The kernel fuses bias and ReLU; a residual must be added before the ReLU, so it comes after.
        var y = try FastConv3D.conv3d(x3, w3, bias: bias, relu: relu && residual == nil, parameters: p).elements
        if let residual {
            for i in y.indices { y[i] = relu ? max(y[i] + residual[i], 0) : y[i] + residual[i] }
        }
        return y
    }

    /// int8 convolution: int32 accumulation, then ``Epilogue`` applied exactly as every Q3D kernel does.
    static func int8(
        x: Tensor<Int8>, w: Tensor<Int8>, residual: Tensor<Int8>?, epilogue: Epilogue, p: Conv3DParameters
    ) throws(CPUKernelsError) -> [Int8] {
        let r = try residual.map { t throws(CPUKernelsError) in try lifted(t, p.outputShape) }
        return try FastConv3D.conv3d(
            try lifted(x, p.inputShape), try lifted(w, p.weightShape), parameters: p, epilogue: epilogue, residual: r
        ).elements
    }

    private static func lifted<T>(_ t: Tensor<T>, _ shape: [Int]) throws(CPUKernelsError) -> Tensor<T> {
        guard t.shape != shape else { return t }
        do throws(TensorError) {
            return try Tensor(shape: shape, elements: t.elements)
        } catch {
            throw .tensor(error)
        }
    }
}
