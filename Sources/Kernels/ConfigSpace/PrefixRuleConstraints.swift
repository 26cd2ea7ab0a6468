/// The constraints of a template whose rules can judge a prefix of its knobs: the configuration built
/// from the first `fixed` knobs' values, the others at their first candidate (which the rules checked at
/// `fixed` do not read), passes `passes(config, fixed)` or no completion of the prefix can.
///
/// Each candidate is its own class, except on the knobs in `free` (no rule reads them, such as a block
/// rasterization), whose candidates share one class and which build with their first candidate.
struct PrefixRuleConstraints<Config>: ConfigConstraints {
    let candidateClasses: [[Int]]
    /// `values[k][c]`: the value of class `c` of knob `k`.
    let values: [[Int]]
    let build: @Sendable ([Int]) -> Config
    let passes: @Sendable (Config, _ fixed: Int) -> Bool

    init(
        candidates: [[Int]], free: Set<Int> = [], build: @escaping @Sendable ([Int]) -> Config,
        passes: @escaping @Sendable (Config, Int) -> Bool
    ) {
        candidateClasses = candidates.enumerated().map { k, c in free.contains(k) ? Array(repeating: 0, count: c.count) : Array(c.indices) }
        values = candidates.enumerated().map { k, c in free.contains(k) ? [c[0]] : c }
        self.build = build
        self.passes = passes
    }

    func isValid(classes: [Int]) -> Bool { passes(config(classes, fixed: classes.count), classes.count) }

    func mayBeValid(classes: [Int], fixed: Int) -> Bool { passes(config(classes, fixed: fixed), fixed) }

    private func config(_ classes: [Int], fixed: Int) -> Config {
        var v = values.map { $0[0] }
        for k in 0..<min(fixed, v.count) { v[k] = values[k][classes[k]] }
        return build(v)
    }
}
