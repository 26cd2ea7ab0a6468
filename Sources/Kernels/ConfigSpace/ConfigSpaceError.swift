/// Why a configuration space or a point of one could not be built or read.
public enum ConfigSpaceError: Error, Equatable, Sendable, CustomStringConvertible {
    case duplicateKnob(String)
    case missingKnob(String)
    case wrongKind(knob: String, value: String, expected: String)
    case valueNotInKnob(knob: String, value: String)
    case wrongPointLength(count: Int, expected: Int)
    case indexOutOfRange(knob: String, index: Int, count: Int)
    case classTableMismatch(knob: String, candidates: Int, classes: Int)
    case sizeOverflow(knobs: [String])

    public var description: String {
        switch self {
        case .duplicateKnob(let name):
            return "knob '\(name)' appears twice in the space"
        case .missingKnob(let name):
            return "no value for knob '\(name)'"
        case let .wrongKind(knob, value, expected):
            return "knob '\(knob)' has value \(value); expected \(expected)"
        case let .valueNotInKnob(knob, value):
            return "value \(value) is not a candidate of knob '\(knob)'"
        case let .wrongPointLength(count, expected):
            return "point has \(count) indices; the space has \(expected) knobs"
        case let .indexOutOfRange(knob, index, count):
            return "index \(index) of knob '\(knob)' is outside 0..<\(count)"
        case let .classTableMismatch(knob, candidates, classes):
            return "knob '\(knob)' has \(candidates) candidates but its constraints classify \(classes)"
        case .sizeOverflow(let knobs):
            return "the product of the candidate counts of \(knobs) does not fit in Int"
        }
    }
}
