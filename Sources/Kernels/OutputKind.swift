/// What a convolution kernel writes: the raw int32 accumulators, or int8 after the fused epilogue.
///
/// The int8 epilogue is exactly `ConvGeometry.Epilogue.apply`: per output channel scale and bias,
/// an optional residual int8 tensor shaped like the output (with its scale), optional ReLU, round half
/// to even and clamp to [-128, 127].
public enum OutputKind: Hashable, Codable, Sendable, CustomStringConvertible {
    case int32
    case int8(relu: Bool, residual: Bool)

    public var description: String {
        switch self {
        case .int32: return "int32"
        case let .int8(relu, residual):
            return "int8" + (relu ? "+relu" : "") + (residual ? "+residual" : "")
        }
    }
}
