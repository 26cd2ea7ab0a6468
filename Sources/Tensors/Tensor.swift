/// A dense array of elements with a shape, stored row-major (the last dimension varies fastest).
///
/// `shape` is the physical shape: a packed layout's blocking appears in it (an NCDHW4c activation of
/// logical shape `[N, C, D, H, W]` has shape `[N, ceil(C/4), D, H, W, 4]`). `layout` says how to read
/// the dimensions; it is nil for tensors that are not activations or convolution weights.
public struct Tensor<Element: TensorElement>: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var layout: Layout?
    public var elements: [Element]

    /// Wraps `elements`; throws when their count is not the product of `shape`.
    public init(shape: [Int], layout: Layout? = nil, elements: [Element]) throws(TensorError) {
        guard let count = Tensor.elementCount(of: shape) else { throw .invalidShape(shape) }
        guard count == elements.count else {
            throw .elementCountMismatch(shape: shape, expected: count, actual: elements.count)
        }
        self.shape = shape
        self.layout = layout
        self.elements = elements
    }

    /// A tensor whose elements all equal `value`.
    public init(shape: [Int], layout: Layout? = nil, repeating value: Element) throws(TensorError) {
        guard let count = Tensor.elementCount(of: shape) else { throw .invalidShape(shape) }
        self.shape = shape
        self.layout = layout
        self.elements = Array(repeating: value, count: count)
    }

    /// Wraps `elements` whose count the caller knows to be the product of `shape`.
    @usableFromInline
    init(validShape shape: [Int], layout: Layout?, elements: [Element]) {
        self.shape = shape
        self.layout = layout
        self.elements = elements
    }

    public var count: Int { elements.count }
    public var rank: Int { shape.count }
    public var dtype: DType { Element.dtype }

    /// Row-major strides, in elements.
    public var strides: [Int] {
        var result = Array(repeating: 1, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            result[i] = running
            running *= shape[i]
        }
        return result
    }

    /// Same elements, another shape of the same element count.
    public func reshaped(_ newShape: [Int], layout: Layout? = nil) throws(TensorError) -> Tensor {
        try Tensor(shape: newShape, layout: layout, elements: elements)
    }

    /// The product of `shape`, or nil when a dimension is negative or the product overflows.
    public static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            count = p
        }
        return count
    }
}
