/// Element types Q3D stores. `float16` is a storage type: arithmetic on it happens in float32.
public enum DType: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case float32, float16, int8, uint8, int32, int64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8: 1
        case .float16: 2
        case .float32, .int32: 4
        case .int64: 8
        }
    }

    public var isInteger: Bool { self != .float32 && self != .float16 }

    public var description: String { rawValue }
}

/// A Swift scalar type that a ``Tensor`` can hold.
///
/// Elements are plain bit patterns of `dtype.byteSize` bytes (`BitwiseCopyable`), so that packing can
/// move them as raw words and `.npy` files and device buffers can hold them byte for byte.
public protocol TensorElement: Sendable, Equatable, BitwiseCopyable {
    static var dtype: DType { get }
    static var zero: Self { get }
}

extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Float16: TensorElement { public static var dtype: DType { .float16 } }
extension Int8: TensorElement { public static var dtype: DType { .int8 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 } }
