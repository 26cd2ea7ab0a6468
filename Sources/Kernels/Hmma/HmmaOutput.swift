/// What an fp16 tensor-core conv3d (``HmmaConv3DTemplate``) writes: the fp32 accumulators plus a
/// per-output-channel float bias, optionally through ReLU, stored as float32 or rounded (to nearest
/// even) to fp16.
public enum HmmaOutput: Hashable, Codable, Sendable, CustomStringConvertible {
    case float32(relu: Bool)
    case float16(relu: Bool)

    /// The output a generic request maps to: int32 (the raw accumulators of integer templates) asks
    /// for float32 with bias and no ReLU; int8 (the fused epilogue) for fp16 with bias and ReLU, or
    /// without ReLU as the request says. Integer residuals have no float counterpart and are ignored.
    public init(_ kind: OutputKind) {
        switch kind {
        case .int32: self = .float32(relu: false)
        case let .int8(relu, _): self = .float16(relu: relu)
        }
    }

    public var relu: Bool {
        switch self {
        case let .float32(relu), let .float16(relu): relu
        }
    }

    public var description: String {
        switch self {
        case let .float32(relu): "float32" + (relu ? "+relu" : "")
        case let .float16(relu): "float16" + (relu ? "+relu" : "")
        }
    }
}
