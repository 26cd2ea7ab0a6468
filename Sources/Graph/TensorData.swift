import Tensors

/// A tensor of any element type a graph holds: initializers (weights, shapes, scales) and, while a
/// graph runs, the values flowing between nodes.
///
/// ```swift
/// let w = TensorData(try Tensor<Float>(shape: [8, 3, 3, 3, 3], repeating: 0.1))
/// w.dtype   // .float32
/// ```
public enum TensorData: Sendable, Equatable {
    case float32(Tensor<Float>)
    case int8(Tensor<Int8>)
    case uint8(Tensor<UInt8>)
    case int32(Tensor<Int32>)
    case int64(Tensor<Int64>)

    public init(_ t: Tensor<Float>) { self = .float32(t) }
    public init(_ t: Tensor<Int8>) { self = .int8(t) }
    public init(_ t: Tensor<UInt8>) { self = .uint8(t) }
    public init(_ t: Tensor<Int32>) { self = .int32(t) }
    public init(_ t: Tensor<Int64>) { self = .int64(t) }

    /// A rank-0 float tensor.
    public static func scalar(_ v: Float) -> TensorData {
        .float32(Tensor(computedShape: [], elements: [v]))
    }

    /// A rank-1 float tensor.
    public static func vector(_ v: [Float]) -> TensorData {
        .float32(Tensor(computedShape: [v.count], elements: v))
    }

    public var dtype: DType {
        switch self {
        case .float32: .float32
        case .int8: .int8
        case .uint8: .uint8
        case .int32: .int32
        case .int64: .int64
        }
    }

    public var shape: [Int] {
        switch self {
        case .float32(let t): t.shape
        case .int8(let t): t.shape
        case .uint8(let t): t.shape
        case .int32(let t): t.shape
        case .int64(let t): t.shape
        }
    }

    public var count: Int { Tensor<Float>.elementCount(of: shape) ?? 0 }

    /// The type with every dimension known.
    public var type: TensorType { TensorType(dtype, shape.dimensions) }

    /// The float tensor, when this is one.
    public var float32Tensor: Tensor<Float>? {
        if case .float32(let t) = self { return t }
        return nil
    }

    /// Every element converted to Float (exact for the integer types Q3D holds, up to 2^24).
    public var floatValues: [Float] {
        switch self {
        case .float32(let t): t.elements
        case .int8(let t): t.elements.map(Float.init)
        case .uint8(let t): t.elements.map(Float.init)
        case .int32(let t): t.elements.map(Float.init)
        case .int64(let t): t.elements.map(Float.init)
        }
    }

    /// Every element as Int, for the integer types; nil for floats.
    public var integerValues: [Int]? {
        switch self {
        case .float32: nil
        case .int8(let t): t.elements.map(Int.init)
        case .uint8(let t): t.elements.map(Int.init)
        case .int32(let t): t.elements.map(Int.init)
        case .int64(let t): t.elements.map(Int.init)
        }
    }

    /// The same elements under another shape of the same count.
    public func reshaped(_ shape: [Int]) throws(TensorError) -> TensorData {
        switch self {
        case .float32(let t): .float32(try t.reshaped(shape))
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
