extension DType {
    /// How NumPy spells the type without its byte order: kind and size in bytes (`f4`, `i1`, …).
    var npyTypeCode: String {
        switch self {
        case .float32: "f4"
        case .float16: "f2"
        case .int8: "i1"
        case .uint8: "u1"
        case .int32: "i4"
        case .int64: "i8"
        }
    }
}
