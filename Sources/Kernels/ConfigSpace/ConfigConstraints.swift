/// What makes a point of a ``ConfigSpace`` valid, stated so that the space can count and sample the
/// valid points without visiting each one.
///
/// A template groups the candidates of each knob into classes: two candidates of a knob fall in the
/// same class when validity cannot tell them apart (for a 4-way split bound to blocks, virtual threads,
/// threads and an inner loop, a rule on threads, registers and tile size sees only the thread factor,
/// the product of the virtual and inner factors, and the tile). Validity is then a predicate on one class
/// per knob, and the space counts by walking class combinations, multiplying class sizes, and pruning
/// prefixes that no completion can make valid.
public protocol ConfigConstraints: Sendable {
    /// `candidateClasses[k][i]` is the class of candidate `i` of knob `k` (candidates in the order of
    /// ``Knob/candidates``). The classes of a knob are numbered from 0 with no gaps.
    var candidateClasses: [[Int]] { get }

    /// Whether a configuration whose knob `k` has a candidate of class `classes[k]`, for every `k`, is
    /// valid.
    func isValid(classes: [Int]) -> Bool

    /// False only when no configuration whose first `fixed` knobs have the classes `classes[0..<fixed]`
    /// can be valid; the rest of `classes` holds nothing meaningful. Counting and sampling prune with it,
    /// so it must never reject a prefix that has a valid completion; returning true is always sound.
    func mayBeValid(classes: [Int], fixed: Int) -> Bool

    /// The sum of `weights[c]` over the classes `c` of knob `knob`, the last knob the space walks, for
    /// which the configuration with `classes[knob] = c` (and the other entries of `classes`) is valid.
    /// Counting spends most of its time here: the default tries each class with
    /// ``isValid(classes:)``, and a template can instead compute what the other knobs contribute
    /// once. It must agree with ``isValid(classes:)``; `classes[knob]` may be left changed.
    func validWeight(lastKnob knob: Int, classes: inout [Int], weights: [Int]) -> Int
}

extension ConfigConstraints {
    public func validWeight(lastKnob knob: Int, classes: inout [Int], weights: [Int]) -> Int {
        var total = 0
        for (c, weight) in weights.enumerated() {
            classes[knob] = c
            if isValid(classes: classes) { total += weight }
        }
        return total
    }
}

/// No constraint: every point is valid, and each knob has a single class.
public struct Unconstrained: ConfigConstraints {
    public let candidateClasses: [[Int]]

    public init(knobs: [Knob]) {
        candidateClasses = knobs.map { Array(repeating: 0, count: $0.candidateCount) }
    }

    public func isValid(classes: [Int]) -> Bool { true }
    public func mayBeValid(classes: [Int], fixed: Int) -> Bool { true }
}

/// A configuration type that a ``ConfigSpace`` point maps to and from, by knob name.
public protocol TunableConfig: Hashable, Codable, Sendable {
    /// The value of every knob, by knob name.
    var knobValues: [String: KnobValue] { get }
    /// Builds the configuration from the value of every knob; throws when one is missing or of the
    /// wrong kind.
    init(knobValues: [String: KnobValue]) throws(ConfigSpaceError)
}
