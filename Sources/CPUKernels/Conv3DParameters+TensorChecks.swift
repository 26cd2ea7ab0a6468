import ConvGeometry
import Tensors

/// The checks every CPU convolution makes on its operands before it reads them.
extension Conv3DParameters {
    static let activationDimensions = ["N", "C", "D", "H", "W"]
    static let weightDimensions = ["K", "C/g", "kd", "kh", "kw"]
    static let outputDimensions = ["N", "K", "Do", "Ho", "Wo"]

    /// Throws unless `input` is `[N, C, D, H, W]` in layout NCDHW (or unlabelled).
    func checkInput<Element>(_ input: Tensor<Element>) throws(CPUKernelsError) {
        try Self.check(input, name: "input", shape: inputShape, dimensions: Self.activationDimensions, layout: .ncdhw)
    }

    /// Throws unless `weight` is `[K, C/g, kd, kh, kw]` in layout OIDHW (or unlabelled).
    func checkWeight<Element>(_ weight: Tensor<Element>) throws(CPUKernelsError) {
        try Self.check(weight, name: "weight", shape: weightShape, dimensions: Self.weightDimensions, layout: .oidhw)
    }

    /// Throws unless `residual` is shaped like the output, `[N, K, Do, Ho, Wo]`, in NCDHW.
    func checkResidual<Element>(_ residual: Tensor<Element>) throws(CPUKernelsError) {
        try Self.check(
            residual, name: "residual", shape: outputShape, dimensions: Self.outputDimensions, layout: .ncdhw)
    }

    /// Throws unless `values` has one value per output channel.
    func checkPerChannel(_ values: [Float], name: String) throws(CPUKernelsError) {
        guard values.count == outputChannels else {
            throw .valueCountMismatch(name: name, count: values.count, expected: outputChannels)
        }
    }

    /// Throws unless an epilogue fits this convolution and a residual is given exactly when it has a
    /// residual scale.
    func checkEpilogue(_ epilogue: Epilogue, residual: Tensor<Int8>?) throws(CPUKernelsError) {
        try checkPerChannel(epilogue.scale, name: "epilogue scale")
        try checkPerChannel(epilogue.bias, name: "epilogue bias")
        switch (epilogue.residualScale, residual) {
        case (.some, nil): throw .missingResidual
        case (nil, .some): throw .residualWithoutScale
        case (.some, .some(let residual)): try checkResidual(residual)
        case (nil, nil): break
        }
    }

    /// Throws when an int8 x int8 sum over the reduction could overflow int32.
    func checkInt8Reduction() throws(CPUKernelsError) {
        try checkAccumulation(largestProduct: 128 * 128, operands: "int8 x int8")
    }

    /// Throws when a sum of `reductionLength` products of magnitude up to `largestProduct` could
    /// overflow int32.
    func checkAccumulation(largestProduct: Int, operands: String) throws(CPUKernelsError) {
        let limit = Int(Int32.max) / largestProduct
        guard reductionLength <= limit else {
            throw .accumulatorOverflow(reduction: reductionLength, limit: limit, operands: operands)
        }
    }

    private static func check<Element>(
        _ tensor: Tensor<Element>, name: String, shape: [Int], dimensions: [String], layout: Layout
    ) throws(CPUKernelsError) {
        if let actual = tensor.layout, actual != layout {
            throw .layoutMismatch(tensor: name, layout: actual, expected: layout)
        }
        guard tensor.shape == shape else {
            throw .shapeMismatch(tensor: name, shape: tensor.shape, expected: shape, dimensions: dimensions)
        }
    }
}
