import ConvGeometry
import Tensors

/// Why a CPU convolution could not run: each case names the offending value and what was expected.
public enum CPUKernelsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A tensor's shape differs from the one the convolution parameters imply. `dimensions` names the
    /// axes, e.g. "[N, C, D, H, W]".
    case shapeMismatch(tensor: String, shape: [Int], expected: [Int], dimensions: [String])
    /// A tensor has the wrong number of dimensions.
    case wrongRank(tensor: String, shape: [Int], dimensions: [String])
    /// A tensor is in a layout the function does not read.
    case layoutMismatch(tensor: String, layout: Layout, expected: Layout)
    /// A per-channel list (bias, scale) has the wrong number of values.
    case valueCountMismatch(name: String, count: Int, expected: Int)
    /// The epilogue has a residual scale but no residual tensor was given.
    case missingResidual
    /// A residual tensor was given but the epilogue has no residual scale to apply it with.
    case residualWithoutScale
    /// A sum of this many products could overflow the int32 accumulator.
    case accumulatorOverflow(reduction: Int, limit: Int, operands: String)
    /// Packed weights were made for another convolution.
    case packedWeightsMismatch(packed: String, expected: String)
    case invalidThreadCount(Int)
    /// The instruction set was requested but the CPU lacks it.
    case unsupportedInstructionSet(CPUInstructionSet, features: CPUFeatures)
    /// The padded copy of the input would hold more elements than an `Int` can count.
    case inputTooLarge(shape: [Int])
    /// Building a tensor failed.
    case tensor(TensorError)

    public var description: String {
        switch self {
        case let .shapeMismatch(tensor, shape, expected, dimensions):
            let named = "[\(dimensions.joined(separator: ", "))]"
            guard shape.count == expected.count else {
                return "\(tensor) has \(shape.count) dimensions \(shape); expected \(named) = \(expected)"
            }
            let differing = zip(dimensions, zip(shape, expected)).filter { $0.1.0 != $0.1.1 }
                .map { "\($0.0) is \($0.1.0), expected \($0.1.1)" }
            return "\(tensor) has shape \(shape), expected \(named) = \(expected): \(differing.joined(separator: "; "))"
        case let .wrongRank(tensor, shape, dimensions):
            return "\(tensor) has shape \(shape); expected \(dimensions.count) dimensions "
                + "[\(dimensions.joined(separator: ", "))]"
        case let .layoutMismatch(tensor, layout, expected):
            return "\(tensor) is in layout \(layout); expected \(expected)"
        case let .valueCountMismatch(name, count, expected):
            return "\(name) has \(count) values; expected one per output channel, \(expected)"
        case .missingResidual:
            return "the epilogue has a residual scale but no residual tensor was given"
        case .residualWithoutScale:
            return "a residual tensor was given but the epilogue has no residual scale"
        case let .accumulatorOverflow(reduction, limit, operands):
            return "reduction length C/groups·kd·kh·kw = \(reduction) exceeds \(limit), "
                + "past which a sum of \(operands) products can overflow int32"
        case let .packedWeightsMismatch(packed, expected):
            return "weights were packed for \(packed); the convolution has \(expected)"
        case .invalidThreadCount(let threads):
            return "thread count is \(threads); expected 1 or more"
        case let .unsupportedInstructionSet(set, features):
            return "instruction set \(set) was requested but this CPU has \(features)"
        case .inputTooLarge(let shape):
            return "the padded input \(shape) has more elements than fit in memory addressing"
        case .tensor(let error):
            return error.description
        }
    }
}
