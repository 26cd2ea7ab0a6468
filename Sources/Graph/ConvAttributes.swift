/// How ONNX's `auto_pad` derives padding: `notSet` means the explicit `pads` apply.
public enum AutoPad: String, Hashable, Sendable {
    case notSet = "NOTSET"
    case sameUpper = "SAME_UPPER"
    case sameLower = "SAME_LOWER"
    case valid = "VALID"
}

/// An activation fused into the operation that produces a value.
public enum FusedActivation: String, Hashable, Sendable {
    case none, relu
}

/// The attributes of a convolution over 1, 2 or 3 spatial axes, in ONNX's terms.
///
/// Spatial lists run over the axes after `[N, C]`: one value per axis for `kernel`, `strides` and
/// `dilations`, and `pads` as ONNX writes them, all begins then all ends (`[front, top, left, back,
/// bottom, right]` in 3D). A convolution's inputs are `x`, `weight`, an optional `bias` and, once the
/// fusion pass has folded a residual addition into it, the `residual` added before the activation:
///
///     y = activation(conv(x, weight) + bias + residual)
public struct ConvAttributes: Hashable, Sendable {
    public var kernel: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var pads: [Int]
    public var autoPad: AutoPad
    public var groups: Int
    public var activation: FusedActivation
    public var hasResidual: Bool

    /// Defaults are ONNX's: unit strides and dilations, no padding, one group.
    public init(
        kernel: [Int], strides: [Int]? = nil, dilations: [Int]? = nil, pads: [Int]? = nil,
        autoPad: AutoPad = .notSet, groups: Int = 1, activation: FusedActivation = .none,
        hasResidual: Bool = false
    ) {
        self.kernel = kernel
        self.strides = strides ?? Array(repeating: 1, count: kernel.count)
        self.dilations = dilations ?? Array(repeating: 1, count: kernel.count)
        self.pads = pads ?? Array(repeating: 0, count: 2 * kernel.count)
        self.autoPad = autoPad
        self.groups = groups
        self.activation = activation
        self.hasResidual = hasResidual
    }

    /// Number of spatial axes (1, 2 or 3).
    public var spatialRank: Int { kernel.count }
}

/// The attributes of MaxPool and AveragePool, in ONNX's terms (see ``ConvAttributes`` for the lists).
public struct PoolAttributes: Hashable, Sendable {
    public var kernel: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var pads: [Int]
    public var autoPad: AutoPad
    /// Output extents rounded up rather than down; a window that would start in the end padding is dropped.
    public var ceilMode: Bool
    /// AveragePool only: divide by the whole window rather than by the elements inside the input.
    public var countIncludePad: Bool

    public init(
        kernel: [Int], strides: [Int]? = nil, dilations: [Int]? = nil, pads: [Int]? = nil,
        autoPad: AutoPad = .notSet, ceilMode: Bool = false, countIncludePad: Bool = false
    ) {
        self.kernel = kernel
        self.strides = strides ?? Array(repeating: 1, count: kernel.count)
        self.dilations = dilations ?? Array(repeating: 1, count: kernel.count)
        self.pads = pads ?? Array(repeating: 0, count: 2 * kernel.count)
        self.autoPad = autoPad
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }

    public var spatialRank: Int { kernel.count }
}

/// ONNX Gemm: `Y = alpha · A' · B' + beta · C`, where `A'` and `B'` are optionally transposed.
public struct GemmAttributes: Hashable, Sendable {
    public var alpha: Float
    public var beta: Float
    public var transA: Bool
    public var transB: Bool

    public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false) {
        self.alpha = alpha
        self.beta = beta
        self.transA = transA
        self.transB = transB
    }
}
