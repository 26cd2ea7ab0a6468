/// Why a set of convolution parameters describes no valid convolution.
public enum ConvGeometryError: Error, Equatable, Sendable, CustomStringConvertible {
    case notPositive(name: String, value: Int)
    case negative(name: String, value: Int)
    case wrongValueCount(name: String, count: Int, expected: String)
    case channelsNotDivisible(name: String, channels: Int, groups: Int)
    case emptyOutput(axis: String, input: Int, kernel: Int, dilation: Int, padBefore: Int, padAfter: Int)
    case accumulatorOverflow(reduction: Int, limit: Int)
    case regrouping(groups: Int, into: Int)

    public var description: String {
        switch self {
        case let .notPositive(name, value):
            return "\(name) is \(value); expected a positive value"
        case let .negative(name, value):
            return "\(name) is \(value); expected 0 or more"
        case let .wrongValueCount(name, count, expected):
            return "\(name) has \(count) values; expected \(expected)"
        case let .channelsNotDivisible(name, channels, groups):
            return "\(name) \(channels) are not divisible by groups \(groups)"
        case let .emptyOutput(axis, input, kernel, dilation, padBefore, padAfter):
            let letter = axis.prefix(1).uppercased()
            let dil = dilation == 1 ? "" : ", dilation \(dilation)"
            return "output \(axis) would be 0 (\(letter)=\(input), k\(letter.lowercased())=\(kernel)\(dil), "
                + "pads \(padBefore)+\(padAfter))"
        case let .regrouping(groups, into):
            return "the convolution's \(groups) groups cannot be regrouped into \(into); expected a divisor of \(groups)"
        case let .accumulatorOverflow(reduction, limit):
            return "reduction length C/groups·kd·kh·kw = \(reduction) exceeds \(limit), "
                + "past which an int8 x int8 sum can overflow int32"
        }
    }
}
