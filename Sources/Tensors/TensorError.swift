/// Why a tensor could not be made, converted, read or written.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidShape([Int])
    case elementCountMismatch(shape: [Int], expected: Int, actual: Int)
    case layoutMismatch(expected: String, actual: String)
    case invalidBlock(Int)
    case npy(path: String, reason: String)

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
        }
    }
}
