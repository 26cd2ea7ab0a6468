/// The tuning space of one template for one workload on one architecture: knobs, and which of their
/// combinations are valid.
///
/// A point holds one candidate index per knob. The raw size is the product of the candidate counts;
/// the valid points are those the constraints accept, and a template builds its constraints so that every
/// valid point compiles, launches and computes the right result. The space counts and samples valid
/// points exactly, without visiting each (see ``ConfigConstraints``).
///
/// ```swift
/// let space = try Dp4aConv3DTemplate.space(for: layer, on: .sm90)
/// space.rawSize                       // every combination
/// space.validCount()                  // those that launch
/// var rng = SeededGenerator(seed: 7)
/// for point in space.sample(count: 10, using: &rng) {
///     let config = try space.config(at: point, as: Dp4aConv3DConfig.self)
/// }
/// ```
public struct ConfigSpace: Sendable {
    /// The knobs, in the order of a point's indices.
    public let knobs: [Knob]
    /// `candidates[k]` lists the values of knob `k`; a point's index `k` indexes it.
    public let candidates: [[KnobValue]]
    /// One sentence per validity rule, for reports.
    public let rules: [String]
    /// The number of points, valid or not: the product of the candidate counts.
    public let rawSize: Int

    let constraints: any ConfigConstraints
    /// `classMembers[k][c]` lists the candidates of knob `k` in class `c`, in increasing order.
    let classMembers: [[[Int]]]
    let candidateIndex: [[KnobValue: Int]]

    /// Builds a space; throws when two knobs share a name, when the constraints classify a different
    /// number of candidates than a knob has, or when the raw size overflows `Int`.
    public init(knobs: [Knob], constraints: any ConfigConstraints, rules: [String] = []) throws(ConfigSpaceError) {
        var seen = Set<String>()
        for knob in knobs {
            guard seen.insert(knob.name).inserted else { throw .duplicateKnob(knob.name) }
        }
        let candidates = knobs.map(\.candidates)
        let classes = constraints.candidateClasses
        guard classes.count == knobs.count else {
            throw .classTableMismatch(knob: "(all)", candidates: knobs.count, classes: classes.count)
        }
        var members: [[[Int]]] = []
        for (k, knob) in knobs.enumerated() {
            guard classes[k].count == candidates[k].count else {
                throw .classTableMismatch(knob: knob.name, candidates: candidates[k].count, classes: classes[k].count)
            }
            let classCount = (classes[k].max() ?? -1) + 1
            var byClass = Array(repeating: [Int](), count: classCount)
            for (i, c) in classes[k].enumerated() {
                guard c >= 0 else {
                    throw .classTableMismatch(knob: knob.name, candidates: candidates[k].count, classes: classCount)
                }
                byClass[c].append(i)
            }
            guard byClass.allSatisfy({ !$0.isEmpty }) else {
                throw .classTableMismatch(knob: knob.name, candidates: candidates[k].count, classes: classCount)
            }
            members.append(byClass)
        }
        var size = 1
        for list in candidates {
            let (product, overflow) = size.multipliedReportingOverflow(by: list.count)
            guard !overflow else { throw .sizeOverflow(knobs: knobs.map(\.name)) }
            size = product
        }
        self.knobs = knobs
        self.candidates = candidates
        self.rules = rules
        self.rawSize = size
        self.constraints = constraints
        self.classMembers = members
        self.candidateIndex = candidates.map { list in
            Dictionary(list.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The value of every knob at `point`, in knob order.
    public func values(at point: ConfigPoint) throws(ConfigSpaceError) -> [KnobValue] {
        try check(point)
        return point.indices.enumerated().map { candidates[$0][$1] }
    }

    /// The value of every knob at `point`, by knob name.
    public func namedValues(at point: ConfigPoint) throws(ConfigSpaceError) -> [String: KnobValue] {
        let list = try values(at: point)
        return Dictionary(uniqueKeysWithValues: zip(knobs.map(\.name), list))
    }

    /// The point whose knobs have `values` (by knob name); throws when a knob has no value or a value
    /// that is not one of its candidates.
    public func point(for values: [String: KnobValue]) throws(ConfigSpaceError) -> ConfigPoint {
        var indices: [Int] = []
        for (k, knob) in knobs.enumerated() {
            guard let value = values[knob.name] else { throw .missingKnob(knob.name) }
            guard let index = candidateIndex[k][value] else {
                throw .valueNotInKnob(knob: knob.name, value: value.description)
            }
            indices.append(index)
        }
        return ConfigPoint(indices)
    }

    /// The point of `values`, where a knob `values` lacks takes its first candidate: configurations
    /// recorded before the knob existed (whose first candidate is what they ran) map onto the space.
    public func point(forRecorded values: [String: KnobValue]) throws(ConfigSpaceError) -> ConfigPoint {
        var complete = values
        for knob in knobs where complete[knob.name] == nil {
            if case let .choice(_, candidates) = knob, let first = candidates.first { complete[knob.name] = .choice(first) }
        }
        return try point(for: complete)
    }

    /// The typed configuration at `point`.
    public func config<Config: TunableConfig>(at point: ConfigPoint, as type: Config.Type = Config.self)
        throws(ConfigSpaceError) -> Config
    {
        try Config(knobValues: namedValues(at: point))
    }

    /// The point of a typed configuration.
    public func point(of config: some TunableConfig) throws(ConfigSpaceError) -> ConfigPoint {
        try point(for: config.knobValues)
    }

    /// Whether `point` is a well-formed point of this space that the constraints accept.
    public func isValid(_ point: ConfigPoint) -> Bool {
        guard (try? check(point)) != nil else { return false }
        let classes = point.indices.enumerated().map { constraints.candidateClasses[$0][$1] }
        return constraints.isValid(classes: classes)
    }

    /// Whether `config` is a point of this space that the constraints accept.
    public func contains(_ config: some TunableConfig) -> Bool {
        guard let point = try? point(of: config) else { return false }
        return isValid(point)
    }

    /// The point at `index` in `0..<rawSize`, counting in mixed radix with the first knob most
    /// significant.
    public func point(atRawIndex index: Int) throws(ConfigSpaceError) -> ConfigPoint {
        guard index >= 0, index < rawSize else {
            throw .indexOutOfRange(knob: "(raw index)", index: index, count: rawSize)
        }
        var rest = index
        var indices = Array(repeating: 0, count: knobs.count)
        for k in stride(from: knobs.count - 1, through: 0, by: -1) {
            indices[k] = rest % candidates[k].count
            rest /= candidates[k].count
        }
        return ConfigPoint(indices)
    }

    /// The inverse of ``point(atRawIndex:)``.
    public func rawIndex(of point: ConfigPoint) throws(ConfigSpaceError) -> Int {
        try check(point)
        var index = 0
        for (k, i) in point.indices.enumerated() { index = index * candidates[k].count + i }
        return index
    }

    private func check(_ point: ConfigPoint) throws(ConfigSpaceError) {
        guard point.indices.count == knobs.count else {
            throw .wrongPointLength(count: point.indices.count, expected: knobs.count)
        }
        for (k, i) in point.indices.enumerated() where i < 0 || i >= candidates[k].count {
            throw .indexOutOfRange(knob: knobs[k].name, index: i, count: candidates[k].count)
        }
    }
}

/// One point of a ``ConfigSpace``: a candidate index per knob, in knob order.
public struct ConfigPoint: Hashable, Codable, Sendable, CustomStringConvertible {
    public var indices: [Int]

    public init(_ indices: [Int]) { self.indices = indices }

    public var description: String { "\(indices)" }
}
