/// One dimension of a value's shape: a known size, or a name for a size fixed only when the graph runs
/// (ONNX's `dim_param`, usually the batch).
///
/// ```swift
/// let shape: [Dimension] = [.symbolic("N"), 3, 16, 112, 112]
/// ```
public enum Dimension: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)

    public init(integerLiteral value: Int) { self = .fixed(value) }

    /// The size, when it is known.
    public var value: Int? {
        if case .fixed(let v) = self { return v }
        return nil
    }

    public var description: String {
        switch self {
        case .fixed(let v): "\(v)"
        case .symbolic(let name): name.isEmpty ? "?" : name
        }
    }

    /// A size that shape inference could not derive.
    public static let unknown = Dimension.symbolic("")
}

extension Array where Element == Dimension {
    /// The sizes, when every one is known.
    public var fixedValues: [Int]? {
        var out: [Int] = []
        out.reserveCapacity(count)
        for d in self {
            guard let v = d.value else { return nil }
            out.append(v)
        }
        return out
    }

    /// The shape as ONNX tools print it: `[N, 3, 16, 112, 112]`.
    public var shapeDescription: String { "[" + map(\.description).joined(separator: ", ") + "]" }
}

extension Array where Element == Int {
    /// Known dimensions.
    public var dimensions: [Dimension] { map { .fixed($0) } }
}
