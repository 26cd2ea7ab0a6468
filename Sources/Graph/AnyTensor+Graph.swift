import Tensors

/// What a graph needs of the tensors it holds (initializers, and the values flowing between nodes
/// while it runs): their type, their values read as floats or integers, small constants.
///
/// ```swift
/// let w = AnyTensor.float32(try Tensor(shape: [8, 3, 3, 3, 3], repeating: 0.1))
/// w.type   // float32[8, 3, 3, 3, 3]
/// ```
extension AnyTensor {
    /// A rank-0 float tensor.
    public static func scalar(_ v: Float) -> AnyTensor {
        .float32(Tensor(computedShape: [], elements: [v]))
    }

    /// A rank-1 float tensor.
    public static func vector(_ v: [Float]) -> AnyTensor {
        .float32(Tensor(computedShape: [v.count], elements: v))
    }

    /// The type with every dimension known.
    public var type: TensorType { TensorType(dtype, shape.dimensions) }

    /// The float32 tensor, when this is one.
    public var float32Tensor: Tensor<Float>? {
        if case .float32(let t) = self { return t }
        return nil
    }

    /// Every element converted to Float (exact for int8, uint8 and float16, and for larger integers
    /// up to 2^24).
    public var floatValues: [Float] { convertedToFloat().elements }

    /// Every element as Int, for the integer types; nil for floating-point ones.
    public var integerValues: [Int]? {
        switch self {
        case .float32, .float16: nil
        case .int8(let t): t.elements.map(Int.init)
        case .uint8(let t): t.elements.map(Int.init)
        case .int32(let t): t.elements.map(Int.init)
        case .int64(let t): t.elements.map(Int.init)
        }
    }

    /// The same elements under another shape of the same count.
    public func reshaped(_ shape: [Int]) throws(TensorError) -> AnyTensor {
        switch self {
        case .float32(let t): .float32(try t.reshaped(shape))
        case .float16(let t): .float16(try t.reshaped(shape))
        case .int8(let t): .int8(try t.reshaped(shape))
        case .uint8(let t): .uint8(try t.reshaped(shape))
        case .int32(let t): .int32(try t.reshaped(shape))
        case .int64(let t): .int64(try t.reshaped(shape))
        }
    }
}

extension Tensor {
    /// Wraps elements for a shape that Q3D computed from the same sizes as the element count (a kernel's
    /// output, a constant it folded). A mismatch is a bug in Q3D, not in a user's model or file.
    package init(computedShape shape: [Int], elements: [Element]) {
        do {
            self = try Tensor(shape: shape, elements: elements)
        } catch {
            preconditionFailure("Q3D computed shape \(shape) for \(elements.count) elements: \(error)")
        }
    }
}
