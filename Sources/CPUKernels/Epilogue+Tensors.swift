import ConvGeometry
import Tensors

extension Epilogue {
    /// Requantizes a whole tensor of int32 accumulators `[N, K, Do, Ho, Wo]` to int8 with
    /// ``Epilogue/apply(_:channel:residual:)``, element by element: the reference every fused epilogue
    /// is compared with.
    ///
    /// `residual`, shaped like `accumulators`, must be given exactly when `residualScale` is set.
    public func apply(to accumulators: Tensor<Int32>, residual: Tensor<Int8>? = nil) throws(CPUKernelsError)
        -> Tensor<Int8>
    {
        let shape = accumulators.shape
        guard shape.count == 5 else {
            throw .wrongRank(tensor: "accumulators", shape: shape, dimensions: Conv3DParameters.outputDimensions)
        }
        let channels = shape[1], plane = shape[2] * shape[3] * shape[4]
        guard scale.count == channels else {
            throw .valueCountMismatch(name: "epilogue scale", count: scale.count, expected: channels)
        }
        guard bias.count == channels else {
            throw .valueCountMismatch(name: "epilogue bias", count: bias.count, expected: channels)
        }
        switch (residualScale, residual) {
        case (.some, nil): throw .missingResidual
        case (nil, .some): throw .residualWithoutScale
        case (.some, .some(let residual)) where residual.shape != shape:
            throw .shapeMismatch(
                tensor: "residual", shape: residual.shape, expected: shape,
                dimensions: Conv3DParameters.outputDimensions)
        default: break
        }
        let acc = accumulators.elements
        let res = residual?.elements
        let values = (0..<acc.count).map { i in
            apply(acc[i], channel: (i / plane) % channels, residual: res?[i] ?? 0)
        }
        do throws(TensorError) {
            return try Tensor(shape: shape, layout: accumulators.layout, elements: values)
        } catch {
            throw .tensor(error)
        }
    }
}
