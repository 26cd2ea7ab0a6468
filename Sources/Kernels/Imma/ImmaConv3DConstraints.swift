/// The imma rules in the class form ``ConfigSpace`` counts with.
///
/// Every knob is a choice of integers. Each candidate is its own class except for `raster_group`, which
/// no rule reads (one class). The knobs come in ``ImmaConv3DTemplate/knobOrder``, so a prefix is pruned
/// as soon as a rule whose knobs it fixes is broken.
struct ImmaConv3DConstraints: ConfigConstraints {
    let rules: ImmaConv3DRules
    let candidateClasses: [[Int]]
    /// `values[k][c]`: the value of class `c` of knob `k` (for `raster_group`, its first candidate).
    let values: [[Int]]

    init(rules: ImmaConv3DRules) {
        let order = ImmaConv3DTemplate.knobOrder
        var classes: [[Int]] = []
        var values: [[Int]] = []
        for (key, candidates) in order {
            if key == .rasterGroup {
                classes.append(Array(repeating: 0, count: candidates.count))
                values.append([candidates[0]])
            } else {
                classes.append(Array(candidates.indices))
                values.append(candidates)
            }
        }
        self.rules = rules
        self.candidateClasses = classes
        self.values = values
    }

    func isValid(classes: [Int]) -> Bool {
        rules.passes(config(classes, fixed: classes.count), fixed: classes.count)
    }

    func mayBeValid(classes: [Int], fixed: Int) -> Bool {
        rules.passes(config(classes, fixed: fixed), fixed: fixed)
    }

    /// The configuration of the first `fixed` classes; the other knobs hold their first value, which
    /// the rules checked at `fixed` do not read.
    private func config(_ classes: [Int], fixed: Int) -> ImmaConv3DConfig {
        var v = values.map { $0[0] }
        for k in 0..<min(fixed, v.count) { v[k] = values[k][classes[k]] }
        return ImmaConv3DConfig(
            blockM: v[0], blockN: v[1], blockK: v[4], warpsM: v[2], warpsN: v[3], stages: v[6],
            splitK: v[7], inputVectorBytes: v[5], rasterGroup: v[8])
    }
}
