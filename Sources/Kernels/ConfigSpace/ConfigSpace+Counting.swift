/// Exact counting and uniform sampling of the valid points.
///
/// Both rest on one function: the number of valid completions of a prefix of candidate classes (a
/// class standing for all its candidates). It walks the next knob's classes depth first, skips those
/// the constraints rule out, and remembers its answer under the prefix's completion key when the
/// constraints give one, so prefixes that look alike to the rules are counted once. Ranks in

extension ConfigSpace {
    /// The exact number of valid points.
    public func validCount() -> Int {
        var counter = CompletionCounter(space: self)
        return counter.validCount()
    }

    /// Whether at least one point is valid; stops at the first.
    public var hasValidPoint: Bool {
        var counter = CompletionCounter(space: self)
        return counter.anyValid()
    }

    /// `count` valid points drawn uniformly; distinct when `distinct` is true (then at most
    /// `validCount()` points come back). The order is random; the same generator state gives the same
    /// points.
    public func sample(
        count: Int, distinct: Bool = true, using generator: inout some RandomNumberGenerator
    ) -> [ConfigPoint] {
        var counter = CompletionCounter(space: self)
        let total = counter.validCount()
        guard count > 0, total > 0 else { return [] }
        var ranks: [Int]
        if distinct {
            ranks = Self.distinctRanks(count: min(count, total), below: total, using: &generator)
            ranks.sort()  // Floyd's set comes back in hash order; the sort makes the result repeatable
            ranks.shuffle(using: &generator)
        } else {
            ranks = (0..<count).map { _ in Int.random(in: 0..<total, using: &generator) }
        }
        return ranks.map { counter.point(atRank: $0) }
    }

    /// Up to `count` valid points drawn uniformly by rejection: points of the whole product are drawn
    /// and kept when valid (and new, with `distinct`), for at most `maxAttempts` draws. Exactly uniform
    /// and with no count first, so it is the cheap way when valid points are not rare; fewer than
    /// `count` come back when the attempts run out.
    public func sampleByRejection(
        count: Int, distinct: Bool = true, maxAttempts: Int = 1_000_000,
        using generator: inout some RandomNumberGenerator
    ) -> [ConfigPoint] {
        var result: [ConfigPoint] = []
        var seen = Set<ConfigPoint>()
        var attempts = 0
        while result.count < count, attempts < maxAttempts {
            attempts += 1
            let point = ConfigPoint(candidates.map { Int.random(in: 0..<$0.count, using: &generator) })
            guard isValid(point) else { continue }
            if distinct, !seen.insert(point).inserted { continue }
            result.append(point)
        }
        return result
    }

    /// The valid point of rank `rank` in `0..<validCount()`; nil outside. Ranks order the valid points
    /// by class, knob by knob.
    public func validPoint(atRank rank: Int) -> ConfigPoint? {
        var counter = CompletionCounter(space: self)
        guard rank >= 0, rank < counter.validCount() else { return nil }
        return counter.point(atRank: rank)
    }

    /// Every valid point, in rank order. Only for small spaces: this lists them all.
    public func allValidPoints() -> [ConfigPoint] {
        var counter = CompletionCounter(space: self)
        return (0..<counter.validCount()).map { counter.point(atRank: $0) }
    }

    /// `count` distinct integers drawn uniformly from `0..<bound` (Floyd's algorithm).
    static func distinctRanks(count: Int, below bound: Int, using generator: inout some RandomNumberGenerator) -> [Int] {
        var chosen = Set<Int>()
        chosen.reserveCapacity(count)
        for j in (bound - count)..<bound {
            let t = Int.random(in: 0...j, using: &generator)
            if !chosen.insert(t).inserted { chosen.insert(j) }
        }
        return Array(chosen)
    }
}

/// Counts valid completions of class prefixes, remembering those of short prefixes.
struct CompletionCounter {
    /// Prefixes of up to this many class combinations in all are remembered.
    static let memoBudget = 1 << 16

    let space: ConfigSpace
    /// `sizes[k][c]`: candidates in class `c` of knob `k`.
    private let sizes: [[Int]]
    /// Knobs walked: trailing knobs with a single class cannot change validity and are left out.
    private let depth: Int
    /// Points each valid class combination of the walked knobs stands for through the trailing knobs.
    private let trailing: Int
    /// Prefixes of at most this many knobs are remembered.
    private let memoDepth: Int
    private var memo: [[Int]: Int] = [:]

    init(space: ConfigSpace) {
        self.space = space
        sizes = space.classMembers.map { $0.map(\.count) }
        var depth = space.knobs.count
        var trailing = 1
        while depth > 0, sizes[depth - 1].count == 1 {
            trailing *= sizes[depth - 1][0]
            depth -= 1
        }
        var memoDepth = 0
        var prefixes = 1
        while memoDepth < depth {
            prefixes *= sizes[memoDepth].count
            guard prefixes <= Self.memoBudget else { break }
            memoDepth += 1
        }
        self.depth = depth
        self.trailing = trailing
        self.memoDepth = memoDepth
    }

    mutating func validCount() -> Int {
        var classes = Array(repeating: 0, count: space.knobs.count)
        return completions(&classes, fixed: 0)
    }

    mutating func anyValid() -> Bool {
        var classes = Array(repeating: 0, count: space.knobs.count)
        return exists(&classes, fixed: 0)
    }

    /// Whether a valid completion of the prefix exists, found depth first.
    private mutating func exists(_ classes: inout [Int], fixed: Int) -> Bool {
        if fixed >= depth - 1 { return completions(&classes, fixed: fixed) > 0 }
        for c in sizes[fixed].indices {
            classes[fixed] = c
            if space.constraints.mayBeValid(classes: classes, fixed: fixed + 1), exists(&classes, fixed: fixed + 1) {
                return true
            }
        }
        return false
    }

    /// Valid points whose first `fixed` knobs have classes `classes[0..<fixed]`, counted over the
    /// remaining knobs; the prefix must have passed `mayBeValid` (or be empty).
    private mutating func completions(_ classes: inout [Int], fixed: Int) -> Int {
        if fixed == depth { return space.constraints.isValid(classes: classes) ? trailing : 0 }
        if fixed == depth - 1 {
            return trailing * space.constraints.validWeight(lastKnob: fixed, classes: &classes, weights: sizes[fixed])
        }
        let memoKey = fixed <= memoDepth ? Array(classes[0..<fixed]) : nil
        if let memoKey, let known = memo[memoKey] { return known }
        var total = 0
        for (c, size) in sizes[fixed].enumerated() {
            classes[fixed] = c
            total += size * childCompletions(&classes, fixed: fixed + 1)
        }
        if let memoKey { memo[memoKey] = total }
        return total
    }

    /// Completions of a prefix one knob longer than its parent's, zero when the constraints rule it out.
    private mutating func childCompletions(_ classes: inout [Int], fixed: Int) -> Int {
        if fixed < depth, !space.constraints.mayBeValid(classes: classes, fixed: fixed) { return 0 }
        return completions(&classes, fixed: fixed)
    }

    /// The point of rank `rank` (in `0..<validCount()`): at each knob, the class whose block of ranks
    /// holds it, then the member of the class, then the rest of the rank below it.
    mutating func point(atRank rank: Int) -> ConfigPoint {
        var classes = Array(repeating: 0, count: space.knobs.count)
        var indices = Array(repeating: 0, count: space.knobs.count)
        var rest = rank
        for k in 0..<depth {
            for (c, size) in sizes[k].enumerated() {
                classes[k] = c
                let below = childCompletions(&classes, fixed: k + 1)
                if rest < size * below {
                    indices[k] = space.classMembers[k][c][rest / below]
                    rest %= below
                    break
                }
                rest -= size * below
            }
        }
        // The trailing single-class knobs, last knob fastest.
        for k in stride(from: space.knobs.count - 1, through: depth, by: -1) {
            indices[k] = rest % sizes[k][0]
            rest /= sizes[k][0]
        }
        return ConfigPoint(indices)
    }
}
