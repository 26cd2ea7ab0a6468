/// One tunable decision of a kernel template, with the finite list of values it can take.
///
/// The kinds follow AutoTVM's: a split factors an axis extent into an ordered tuple whose product is
/// exactly the extent ("factors" policy: every factor divides the extent, no padding), a choice picks
/// one of a list of integers, and a reorder picks a permutation of some loops.
///
/// ```swift
/// Knob.split(name: "tile_x", extent: 56, parts: 4).candidates.count   // 80
/// Knob.choice(name: "auto_unroll_max_step", values: [0, 512, 1500])
/// Knob.reorder(name: "reorder_inner", count: 4).candidates.count      // 24
/// ```
public enum Knob: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Ordered factorizations of `extent` into `parts` factors, outermost first.
    case split(name: String, extent: Int, parts: Int)
    /// One of `values`, in the order given.
    case choice(name: String, values: [Int])
    /// A permutation of `0..<count`, listed in lexicographic order.
    case reorder(name: String, count: Int)

    public var name: String {
        switch self {
        case .split(let name, _, _), .choice(let name, _), .reorder(let name, _): return name
        }
    }

    /// Every value the knob can take, in a fixed order: a point of a ``ConfigSpace`` holds an index
    /// into this list.
    public var candidates: [KnobValue] {
        switch self {
        case let .split(_, extent, parts):
            return SplitFactorizations.all(of: extent, parts: parts).map { .split($0) }
        case let .choice(_, values):
            return values.map { .choice($0) }
        case let .reorder(_, count):
            return Permutations.all(count: count).map { .permutation($0) }
        }
    }

    /// `candidates.count`, computed without listing them.
    public var candidateCount: Int {
        switch self {
        case let .split(_, extent, parts): return SplitFactorizations.count(of: extent, parts: parts)
        case let .choice(_, values): return values.count
        case let .reorder(_, count): return (1...max(count, 1)).reduce(1, *)
        }
    }

    public var description: String {
        switch self {
        case let .split(name, extent, parts): return "\(name): split \(extent) into \(parts)"
        case let .choice(name, values): return "\(name): one of \(values)"
        case let .reorder(name, count): return "\(name): permutation of \(count)"
        }
    }
}

/// The value of one knob at one point of a space.
public enum KnobValue: Hashable, Codable, Sendable, CustomStringConvertible {
    /// Factors, outermost first; their product is the split's extent.
    case split([Int])
    case choice(Int)
    /// `order[i]` is the loop placed i-th (outermost first).
    case permutation([Int])

    public var description: String {
        switch self {
        case .split(let factors): return "split\(factors)"
        case .choice(let value): return "\(value)"
        case .permutation(let order): return "perm\(order)"
        }
    }
}

/// Permutations of `0..<count` in lexicographic order.
enum Permutations {
    static func all(count: Int) -> [[Int]] {
        guard count > 0 else { return [[]] }
        var result: [[Int]] = []
        var current: [Int] = []
        var used = Array(repeating: false, count: count)
        func extend() {
            if current.count == count {
                result.append(current)
                return
            }
            for i in 0..<count where !used[i] {
                used[i] = true
                current.append(i)
                extend()
                current.removeLast()
                used[i] = false
            }
        }
        extend()
        return result
    }
}

extension Dictionary where Key == String, Value == KnobValue {
    /// The value of the choice knob `key`; throws naming a missing knob or one of another kind.
    public func choice(_ key: some CodingKey) throws(ConfigSpaceError) -> Int {
        guard let value = self[key.stringValue] else { throw .missingKnob(key.stringValue) }
        guard case .choice(let v) = value else {
            throw .wrongKind(knob: key.stringValue, value: value.description, expected: "a choice")
        }
        return v
    }
}
