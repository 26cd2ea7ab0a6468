/// A tensor whose element type is known only at run time, such as one read from an `.npy` file.
///
/// ```swift
/// let any = try NPY.read(path: "weights.npy")
/// let w: Tensor<Int8> = try any.tensor()           // throws unless the file holds int8
/// let reference = any.convertedToFloat()           // any dtype, as Float
/// ```
public enum AnyTensor: Sendable, Equatable {
    case float32(Tensor<Float>)
    case float16(Tensor<Float16>)
    case int8(Tensor<Int8>)
    case uint8(Tensor<UInt8>)
    case int32(Tensor<Int32>)
    case int64(Tensor<Int64>)

    public var dtype: DType {
        switch self {
        case .float32: .float32
        case .float16: .float16
        case .int8: .int8
        case .uint8: .uint8
        case .int32: .int32
        case .int64: .int64
        }
    }

    public var shape: [Int] {
        switch self {
        case .float32(let t): t.shape
        case .float16(let t): t.shape
        case .int8(let t): t.shape
        case .uint8(let t): t.shape
        case .int32(let t): t.shape
        case .int64(let t): t.shape
        }
    }

    /// The number of elements, the product of `shape`.
    public var count: Int {
        switch self {
        case .float32(let t): t.count
        case .float16(let t): t.count
        case .int8(let t): t.count
        case .uint8(let t): t.count
        case .int32(let t): t.count
        case .int64(let t): t.count
        }
    }

    /// The tensor with element type `Element`.
    ///
    /// - Throws: ``TensorError/dtypeMismatch(expected:actual:)`` when it holds another type; no
    ///   conversion happens (see ``convertedToFloat()``).
    public func tensor<Element: TensorElement>(of type: Element.Type = Element.self) throws(TensorError) -> Tensor<Element> {
        let typed: Tensor<Element>? = switch self {
        case .float32(let t): t as? Tensor<Element>
        case .float16(let t): t as? Tensor<Element>
        case .int8(let t): t as? Tensor<Element>
        case .uint8(let t): t as? Tensor<Element>
        case .int32(let t): t as? Tensor<Element>
        case .int64(let t): t as? Tensor<Element>
        }
        guard let typed else { throw .dtypeMismatch(expected: Element.dtype, actual: dtype) }
        return typed
    }

    /// Every element converted to `Float`, same shape and layout: exact for all dtypes but int32 and
    /// int64 values beyond ±2²⁴, which round to the nearest `Float`.
    public func convertedToFloat() -> Tensor<Float> {
        switch self {
        case .float32(let t): t
        case .float16(let t): t.map { Float($0) }
        case .int8(let t): t.map { Float($0) }
        case .uint8(let t): t.map { Float($0) }
        case .int32(let t): t.map { Float($0) }
        case .int64(let t): t.map { Float($0) }
        }
    }
}
