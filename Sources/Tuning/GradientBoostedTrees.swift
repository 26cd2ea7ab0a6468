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
        let width = features.prefix(count).map(\.count).min() ?? 0
        // Column-major, and each column's row order sorted once: every tree of every round splits on
        // the same rows.
        let columns = (0..<width).map { f in features.prefix(count).map { $0[f] } }
        let orders = columns.map { column in column.indices.sorted { column[$0] < column[$1] } }
        base = targets.prefix(count).reduce(0, +) / Double(count)
        var residuals = targets.prefix(count).map { $0 - base }
        for _ in 0..<rounds {
            let tree = RegressionTree(columns: columns, orders: orders, targets: residuals, depth: depth, minimumLeaf: minimumLeaf)
            for i in 0..<count { residuals[i] -= learningRate * tree.predict(column: i, of: columns) }
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

    /// A tree fit to `targets`, the rows given as `columns[feature][row]` with `orders[feature]` the
    /// rows in increasing order of that feature.
    init(columns: [[Double]], orders: [[Int]], targets: [Double], depth: Int, minimumLeaf: Int) {
        var inNode = Array(repeating: true, count: targets.count)
        _ = grow(Array(targets.indices), &inNode, columns, orders, targets, depth, minimumLeaf)
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

    /// The prediction for row `row` of column-major `columns`.
    func predict(column row: Int, of columns: [[Double]]) -> Double {
        var index = 0
        while true {
            switch nodes[index] {
            case .leaf(let value): return value
            case let .split(feature, threshold, left, right):
                index = columns[feature][row] <= threshold ? left : right
            }
        }
    }

    /// Grows the node of `members` (the rows flagged in `inNode`, which it leaves as it found it).
    private mutating func grow(
        _ members: [Int], _ inNode: inout [Bool], _ columns: [[Double]], _ orders: [[Int]], _ targets: [Double], _ depth: Int,
        _ minimumLeaf: Int
    ) -> Int {
        let index = nodes.count
        let total = members.reduce(0) { $0 + targets[$1] }
        nodes.append(.leaf(total / Double(max(members.count, 1))))
        guard depth > 0, members.count >= 2 * minimumLeaf,
            let best = Self.bestSplit(members.count, total, inNode, columns, orders, targets, minimumLeaf)
        else { return index }
        let column = columns[best.feature]
        let left = members.filter { column[$0] <= best.threshold }
        let right = members.filter { column[$0] > best.threshold }
        for row in right { inNode[row] = false }
        let l = grow(left, &inNode, columns, orders, targets, depth - 1, minimumLeaf)
        for row in right { inNode[row] = true }
        for row in left { inNode[row] = false }
        let r = grow(right, &inNode, columns, orders, targets, depth - 1, minimumLeaf)
        for row in left { inNode[row] = true }
        nodes[index] = .split(feature: best.feature, threshold: best.threshold, left: l, right: r)
        return index
    }

    /// The split with the largest drop in squared error among the rows flagged in `inNode` (`count` of
    /// them, their targets summing to `total`), or nil when none improves on the leaf.
    private static func bestSplit(
        _ count: Int, _ total: Double, _ inNode: [Bool], _ columns: [[Double]], _ orders: [[Int]], _ targets: [Double],
        _ minimumLeaf: Int
    ) -> (feature: Int, threshold: Double)? {
        let n = Double(count)
        var best: (gain: Double, feature: Int, threshold: Double)?
        for (f, order) in orders.enumerated() {
            let column = columns[f]
            var leftSum = 0.0
            var leftCount = 0
            var previous: Int?
            // Each row of the node in increasing order; a split falls between two distinct values.
            for row in order where inNode[row] {
                if let previous, column[previous] < column[row], leftCount >= minimumLeaf, count - leftCount >= minimumLeaf {
                    let l = Double(leftCount), r = n - l
                    let rightSum = total - leftSum
                    // Drop in squared error relative to one leaf: sum²/count per side minus the whole's.
                    let gain = leftSum * leftSum / l + rightSum * rightSum / r - total * total / n
                    if gain > (best?.gain ?? 1e-12) { best = (gain, f, (column[previous] + column[row]) / 2) }
                }
                leftSum += targets[row]
                leftCount += 1
                previous = row
            }
        }
        return best.map { ($0.feature, $0.threshold) }
    }
}
