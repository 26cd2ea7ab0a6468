/// Why a tensor could not be made, converted, read or written.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidShape([Int])
    case elementCountMismatch(shape: [Int], expected: Int, actual: Int)
    case layoutMismatch(expected: String, actual: String)
    case invalidBlock(Int)
    case npy(path: String, reason: String)
    /// A tensor given to a layout conversion has the wrong number of dimensions for its layout.
    case rankMismatch(layout: String, dimensions: [String], shape: [Int])
    /// A block size, padding multiple or count outside the values it may take.
    case outOfRange(name: String, value: Int, expected: ClosedRange<Int>)
    /// A logical channel count that cannot describe the physical tensor it is meant to unpack.
    case channelCountMismatch(name: String, value: Int, expected: ClosedRange<Int>, layout: String, shape: [Int])
    /// A type-erased tensor holds another element type than the one asked for.
    case dtypeMismatch(expected: DType, actual: DType)
    /// A file could not be read or written.
    case file(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidShape(let shape):
            return "shape \(shape) is invalid: dimensions must be 0 or more and their product must fit in Int"
        case let .elementCountMismatch(shape, expected, actual):
            return "shape \(shape) holds \(expected) elements, but \(actual) were given"
        case let .layoutMismatch(expected, actual):
            return "expected a tensor in layout \(expected), got \(actual)"
        case .invalidBlock(let block):
            return "channel block \(block) is not supported; expected 4 or 32"
        case let .npy(path, reason):
            return "\(path): \(reason)"
        case let .rankMismatch(layout, dimensions, shape):
            return "a tensor in layout \(layout) has \(dimensions.count) dimensions "
                + "[\(dimensions.joined(separator: ", "))]; got shape \(shape) of rank \(shape.count)"
        case let .outOfRange(name, value, expected):
            return "\(name) is \(value); expected \(expected.lowerBound)...\(expected.upperBound)"
        case let .channelCountMismatch(name, value, expected, layout, shape):
            let range = expected.lowerBound == expected.upperBound
                ? "\(expected.lowerBound)" : "\(expected.lowerBound)...\(expected.upperBound)"
            return "\(name) \(value) cannot be unpacked from a \(layout) tensor of shape \(shape); expected \(range)"
        case let .dtypeMismatch(expected, actual):
            return "expected a tensor of \(expected), got \(actual)"
        case let .file(path, reason):
            return "\(path): \(reason)"
        }
    }
}
