/// The validity rules of the dp4a template in the class form ``ConfigSpace`` counts with.
///
/// Knob order (see ``Dp4aConv3DTemplate/knobs(for:)``): the four reduction splits, `fuse_yx`, the four
/// output splits, then `reorder_inner` and `auto_unroll_max_step`. A reduction split's class is its
/// inner factor (the outer one follows from it); an output split's class is the triple (threads,
/// outputs per thread, block tile), since a rule sees nothing else of it (the block count is the extent
/// over the tile; virtual threads and inner factors matter only through their product); the reorder and
/// unroll knobs change no resource and have one class each. Fixing the reduction splits and the block
/// shape first lets each output axis prune on threads, shared memory and registers as soon as it is set;
/// the last walked knob, x, is tried against a ``Dp4aTilePrefix`` computed once for the other knobs.
struct Dp4aConv3DConstraints: ConfigConstraints {
    let shape: Dp4aProblemShape
    let limits: Dp4aLimits
    let candidateClasses: [[Int]]
    /// Inner factor of each class of the reduction knobs rc, rd, ry, rx.
    private let innerRC, innerRD, innerRY, innerRX: [Int]
    /// Tile of each class of the output knobs f, d, y, x.
    private let tilesF, tilesD, tilesY, tilesX: [Dp4aAxisTile]

    static let reductionKnobs = 0..<4
    static let fuseKnob = 4
    static let outputKnobs = 5..<9

    init(geometry: Dp4aConv3DGeometry, limits: Dp4aLimits, knobs: [Knob]) {
        var classes: [[Int]] = []
        var inner: [[Int]] = []
        var axes: [[Dp4aAxisTile]] = []
        for (k, knob) in knobs.enumerated() {
            let candidates = knob.candidates
            if Self.reductionKnobs.contains(k) {
                // Each inner factor appears once among the 2-way splits of an extent.
                classes.append(Array(candidates.indices))
                inner.append(candidates.map { value in
                    if case .split(let f) = value, f.count == 2 { return f[1] }
                    return 1
                })
            } else if Self.outputKnobs.contains(k) {
                var seen: [Dp4aAxisTile: Int] = [:]
                var list: [Dp4aAxisTile] = []
                var ids: [Int] = []
                for value in candidates {
                    var tile = Dp4aAxisTile.unit
                    if case .split(let f) = value, let split = Dp4aConv3DConfig.TileSplit(f) { tile = Dp4aAxisTile(split) }
                    if let id = seen[tile] {
                        ids.append(id)
                    } else {
                        seen[tile] = list.count
                        ids.append(list.count)
                        list.append(tile)
                    }
                }
                classes.append(ids)
                axes.append(list)
            } else if k == Self.fuseKnob {
                classes.append(Array(candidates.indices))
            } else {
                classes.append(Array(repeating: 0, count: candidates.count))
            }
        }
        shape = Dp4aProblemShape(geometry)
        self.limits = limits
        candidateClasses = classes
        (innerRC, innerRD, innerRY, innerRX) = (inner[0], inner[1], inner[2], inner[3])
        (tilesF, tilesD, tilesY, tilesX) = (axes[0], axes[1], axes[2], axes[3])
    }

    func isValid(classes: [Int]) -> Bool {
        limits.accepts(prefix(classes, fixed: classes.count).completed(with: tilesX[classes[8]]), set: .all)
    }

    func mayBeValid(classes: [Int], fixed: Int) -> Bool {
        // Knobs past the output splits change no resource: the prefix is as good as complete.
        if fixed >= Self.outputKnobs.upperBound { return true }
        let x = fixed > 8 ? tilesX[classes[8]] : .unit
        let set = Dp4aSetAxes(f: fixed > 5, d: fixed > 6, y: fixed > 7, x: fixed > 8)
        return limits.accepts(prefix(classes, fixed: fixed).completed(with: x), set: set)
    }

    func validWeight(lastKnob knob: Int, classes: inout [Int], weights: [Int]) -> Int {
        guard knob == Self.outputKnobs.upperBound - 1 else {
            var total = 0
            for (c, weight) in weights.enumerated() {
                classes[knob] = c
                if isValid(classes: classes) { total += weight }
            }
            return total
        }
        let head = prefix(classes, fixed: knob)
        var total = 0
        for (c, x) in tilesX.enumerated() where limits.accepts(head.completed(with: x), set: .all) {
            total += weights[c]
        }
        return total
    }

    /// What the knobs before x contribute, for the configuration whose first `fixed` knobs have these
    /// classes; unset reduction splits count inner 1 and unset output splits one thread, one output,
    /// tile 1.
    private func prefix(_ classes: [Int], fixed: Int) -> Dp4aTilePrefix {
        let inner = Dp4aReductionInner(
            rc: fixed > 0 ? innerRC[classes[0]] : 1, rd: fixed > 1 ? innerRD[classes[1]] : 1,
            ry: fixed > 2 ? innerRY[classes[2]] : 1, rx: fixed > 3 ? innerRX[classes[3]] : 1)
        let fuse: Bool? = fixed > Self.fuseKnob ? classes[Self.fuseKnob] == 1 : nil
        return Dp4aTilePrefix(
            shape: shape, f: fixed > 5 ? tilesF[classes[5]] : .unit, d: fixed > 6 ? tilesD[classes[6]] : .unit,
            y: fixed > 7 ? tilesY[classes[7]] : .unit, inner: inner, fuseYX: fuse)
    }
}
