/// A gradient-boosted ensemble of regression trees: the cost model of ``ModelGuidedSearch``.
///
/// Squared loss, so each round fits a depth-limited tree to the residuals of the ensemble so far and
/// adds it scaled by the learning rate. Splits are exhaustive over each feature's sorted distinct
/// values (the tuning sets are hundreds of rows, not millions), chosen by the largest drop in the sum
/// of squared residuals; a leaf predicts its rows' mean residual.
///
/// ```swift
/// var model = GradientBoostedTrees(rounds: 60, depth: 4, learningRate: 0.2)
/// model.fit(features: rows, targets: logCosts)
/// let guess = model.predict(row)
/// ```
public struct GradientBoostedTrees: Sendable {
    public var rounds: Int
    public var depth: Int
    public var learningRate: Double
    /// The fewest rows a leaf may hold.
    public var minimumLeaf: Int

    private var base = 0.0
    private var trees: [RegressionTree] = []

    public init(rounds: Int = 60, depth: Int = 4, learningRate: Double = 0.2, minimumLeaf: Int = 2) {
        self.rounds = max(1, rounds)
        self.depth = max(1, depth)
        self.learningRate = learningRate
        self.minimumLeaf = max(1, minimumLeaf)
    }

    /// Whether ``fit(features:targets:)`` has seen any rows.
    public var isTrained: Bool { !trees.isEmpty }

    /// Fits the ensemble anew to `features` (one row per sample, all rows the same length) and
    /// `targets`; rows beyond the shorter of the two are ignored.
    public mutating func fit(features: [[Double]], targets: [Double]) {
        let count = min(features.count, targets.count)
        trees = []
        guard count > 0 else { return }
        let rows = Array(features.prefix(count))
        base = targets.prefix(count).reduce(0, +) / Double(count)
        var residuals = targets.prefix(count).map { $0 - base }
        for _ in 0..<rounds {
            let tree = RegressionTree(rows: rows, targets: residuals, depth: depth, minimumLeaf: minimumLeaf)
            for i in 0..<count { residuals[i] -= learningRate * tree.predict(rows[i]) }
            trees.append(tree)
        }
    }

    /// The ensemble's estimate for one row (the targets' mean before any fit).
    public func predict(_ row: [Double]) -> Double {
        trees.reduce(base) { $0 + learningRate * $1.predict(row) }
    }
}

/// One regression tree, stored as a flat array of nodes.
struct RegressionTree: Sendable {
    enum Node: Sendable {
        case leaf(Double)
        /// Rows with `row[feature] <= threshold` go to `left`, the others to `right`.
        case split(feature: Int, threshold: Double, left: Int, right: Int)
    }

    private(set) var nodes: [Node] = []

    init(rows: [[Double]], targets: [Double], depth: Int, minimumLeaf: Int) {
        _ = grow(Array(rows.indices), rows, targets, depth, minimumLeaf)
    }

    func predict(_ row: [Double]) -> Double {
        var index = 0
        while true {
            switch nodes[index] {
            case .leaf(let value): return value
            case let .split(feature, threshold, left, right):
                index = (feature < row.count ? row[feature] : 0) <= threshold ? left : right
            }
        }
    }

    private mutating func grow(_ members: [Int], _ rows: [[Double]], _ targets: [Double], _ depth: Int, _ minimumLeaf: Int) -> Int {
        let index = nodes.count
        let mean = members.reduce(0) { $0 + targets[$1] } / Double(max(members.count, 1))
        nodes.append(.leaf(mean))
        guard depth > 0, members.count >= 2 * minimumLeaf,
            let best = Self.bestSplit(members, rows, targets, minimumLeaf)
        else { return index }
        let left = members.filter { rows[$0][best.feature] <= best.threshold }
        let right = members.filter { rows[$0][best.feature] > best.threshold }
        let l = grow(left, rows, targets, depth - 1, minimumLeaf)
        let r = grow(right, rows, targets, depth - 1, minimumLeaf)
        nodes[index] = .split(feature: best.feature, threshold: best.threshold, left: l, right: r)
        return index
    }

    /// The split with the largest drop in squared error, or nil when none improves on the leaf.
    private static func bestSplit(_ members: [Int], _ rows: [[Double]], _ targets: [Double], _ minimumLeaf: Int)
        -> (feature: Int, threshold: Double)?
    {
        let features = rows[members[0]].count
        let total = members.reduce(0) { $0 + targets[$1] }
        let n = Double(members.count)
        var best: (gain: Double, feature: Int, threshold: Double)?
        for f in 0..<features {
            let sorted = members.sorted { rows[$0][f] < rows[$1][f] }
            var leftSum = 0.0
            for (i, row) in sorted.enumerated().dropLast() {
                leftSum += targets[row]
                let here = rows[row][f], next = rows[sorted[i + 1]][f]
                let leftCount = i + 1
                guard here < next, leftCount >= minimumLeaf, members.count - leftCount >= minimumLeaf else { continue }
                let l = Double(leftCount), r = n - l
                let rightSum = total - leftSum
                // Drop in squared error relative to one leaf: sum²/count per side minus the whole's.
                let gain = leftSum * leftSum / l + rightSum * rightSum / r - total * total / n
                if gain > (best?.gain ?? 1e-12) { best = (gain, f, (here + next) / 2) }
            }
        }
        return best.map { ($0.feature, $0.threshold) }
    }
}
