import Tensors

/// What a graph knows of a value before it runs: element type, shape and (for activations and
/// convolution weights) memory layout.
///
/// Layout is nil for values that are not laid out as activations or weights (shapes, vectors,
/// logits) and for the logical NCDHW order that ONNX uses everywhere.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Dimension]
    public var layout: Layout?

    public init(_ dtype: DType, _ shape: [Dimension], layout: Layout? = nil) {
        self.dtype = dtype
        self.shape = shape
        self.layout = layout
    }

    public var rank: Int { shape.count }

    public var description: String {
        let l = layout.map { " \($0)" } ?? ""
        return "\(dtype)\(shape.shapeDescription)\(l)"
    }
}

/// A named value of a graph with its type: a graph input or output.
public struct ValueInfo: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var type: TensorType

    public init(_ name: String, _ type: TensorType) {
        self.name = name
        self.type = type
    }

    public var description: String { "\(name): \(type)" }
}
