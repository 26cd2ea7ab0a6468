import Kernels
import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Model-guided search: a cost model trained on every measurement so far (``GradientBoostedTrees`` on
/// the log of the cost) ranks the valid points, and each batch takes the points it predicts fastest,
/// plus a few uniform ones so the model keeps seeing the rest of the space.
///
/// - Warm-up: until `warmup` trials have succeeded it proposes the hints' initial points, then points
///   drawn from the better `estimateQuantile` of a uniform sample by the hints' estimate (uniform ones
///   without an estimate). A warm-up round holds only the trials the warm-up still lacks, so that the
///   model, not more uniform points, fills the rounds after it.
/// - Ranking: spaces of at most `exhaustiveLimit` valid points are scored whole; larger ones by
///   simulated annealing on the prediction (`chains` chains of `steps` steps, half of them started at
///   the best points measured).
/// - Batches: `ensemble` models fit to bootstrap resamples of the trials take the batch's slots in
///   turn, each its own best point not yet taken (Thompson sampling, so one round does not spend
///   itself on one flat region of the model); the batch is measured in the full model's order.
///
/// A failed trial counts as four times slower than the slowest success, so the model learns to steer
/// clear of what fails.
public struct ModelGuidedSearch: SearchStrategy {
    public let space: ConfigSpace
    public var hints: SearchHints
    /// Successful trials before the model is used.
    public var warmup: Int
    /// Share of each batch drawn uniformly rather than from the model.
    public var exploration: Double
    /// Bootstrap models sharing out a batch (1: the full model alone).
    public var ensemble: Int
    /// Spaces with at most this many valid points are ranked whole instead of annealed.
    public var exhaustiveLimit: Int
    /// Annealing chains and steps per chain for each batch.
    public var chains: Int
    public var steps: Int
    /// Warm-up points come from this best fraction of a uniform sample by the hints' estimate.
    public var estimateQuantile: Double

    private var rng: SeededGenerator
    private var model: GradientBoostedTrees
    private var members: [GradientBoostedTrees] = []
    private var observations: [(point: ConfigPoint, cost: Double?)] = []
    private var observed = Set<ConfigPoint>()
    private var proposed = Set<ConfigPoint>()
    private var uniform: RandomSearch
    private var allPoints: [ConfigPoint]?
    private var featureCache: [ConfigPoint: [Double]] = [:]

    public init(
        space: ConfigSpace, seed: UInt64, hints: SearchHints = SearchHints(), warmup: Int = 8, exploration: Double = 0.06,
        ensemble: Int = 8, exhaustiveLimit: Int = 50_000, chains: Int = 24, steps: Int = 120, estimateQuantile: Double = 0.25,
        model: GradientBoostedTrees = GradientBoostedTrees()
    ) {
        self.space = space
        self.hints = hints
        self.warmup = warmup
        self.exploration = exploration
        self.ensemble = ensemble
        self.exhaustiveLimit = exhaustiveLimit
        self.chains = chains
        self.steps = steps
        self.estimateQuantile = estimateQuantile
        self.model = model
        rng = SeededGenerator(seed: seed)
        uniform = RandomSearch(space: space, seed: seed ^ 0x5EED)
    }

    public mutating func observe(_ point: ConfigPoint, cost: Double?) {
        guard !observed.contains(point) else { return }
        observed.insert(point)
        proposed.insert(point)
        uniform.observe(point, cost: cost)
        observations.append((point, cost.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }))
    }

    public mutating func next(_ count: Int, excluding: Set<ConfigPoint>) -> [ConfigPoint] {
        guard count > 0 else { return [] }
        let successes = observations.filter { $0.cost != nil }.count
        if successes < warmup { return warmupBatch(min(count, warmup - successes), excluding: excluding) }
        train()
        let explore = min(count - 1, Int((Double(count) * exploration).rounded()))
        var ranked = candidates().filter { !proposed.contains($0.point) && !excluding.contains($0.point) }
        ranked.sort { $0.predicted < $1.predicted }
        var batch = take(shareOut(ranked.map(\.point), count: count - explore))
        batch += take(uniform.next(count - batch.count, excluding: excluding.union(proposed)))
        return batch
    }

    /// The model's estimate of log(cost) at `point` (meaningful once warm-up is over).
    public func predictedLogCost(_ point: ConfigPoint) -> Double { model.predict(features(point)) }

    private mutating func warmupBatch(_ count: Int, excluding: Set<ConfigPoint>) -> [ConfigPoint] {
        var batch = take(hints.initialPoints.filter { !excluding.contains($0) && space.isValid($0) }.prefix(count).map { $0 })
        if let estimate = hints.estimate, batch.count < count {
            let fresh = space.sample(count: 32 * count, using: &rng).filter { !proposed.contains($0) && !excluding.contains($0) }
            let better = fresh.map { ($0, estimate($0)) }.sorted { $0.1 < $1.1 }
                .prefix(max(count - batch.count, Int(Double(fresh.count) * estimateQuantile)))
            batch += take(better.map(\.0).shuffled(using: &rng).prefix(count - batch.count).map { $0 })
        }
        return batch + take(uniform.next(count - batch.count, excluding: excluding.union(proposed)))
    }

    /// Up to `count` of `ranked` (best first by the full model), one slot per bootstrap member in turn,
    /// each the best of the member's own ranking of the leading candidates not yet taken; returned in
    /// `ranked`'s order.
    private mutating func shareOut(_ ranked: [ConfigPoint], count: Int) -> [ConfigPoint] {
        guard members.count > 1 else { return Array(ranked.prefix(count)) }
        let shortlist = Array(ranked.prefix(max(16 * count, 256)))
        let rows = shortlist.map { row($0) }
        let orders = members.map { member in
            let predictions = rows.map { member.predict($0) }
            return shortlist.indices.sorted { predictions[$0] < predictions[$1] }
        }
        var chosen = Set<Int>()
        var cursor = Array(repeating: 0, count: orders.count)
        var slot = 0
        while chosen.count < min(count, shortlist.count) {
            let m = slot % orders.count
            while cursor[m] < orders[m].count, chosen.contains(orders[m][cursor[m]]) { cursor[m] += 1 }
            if cursor[m] < orders[m].count { chosen.insert(orders[m][cursor[m]]) }
            slot += 1
        }
        return chosen.sorted().map { shortlist[$0] }
    }

    /// Every valid point with its prediction when the space is small enough to score whole, else the
    /// points annealing visits.
    private mutating func candidates() -> [(point: ConfigPoint, predicted: Double)] {
        if allPoints == nil { allPoints = space.validCount() <= exhaustiveLimit ? space.allValidPoints() : [] }
        if let all = allPoints, !all.isEmpty { return all.map { ($0, predict($0)) } }
        return anneal()
    }

    /// The features of `point`, computed once.
    private mutating func row(_ point: ConfigPoint) -> [Double] {
        if let row = featureCache[point] { return row }
        let row = features(point)
        featureCache[point] = row
        return row
    }

    private mutating func predict(_ point: ConfigPoint) -> Double { model.predict(row(point)) }

    private mutating func take(_ points: [ConfigPoint]) -> [ConfigPoint] {
        var out: [ConfigPoint] = []
        for point in points where !proposed.contains(point) {
            proposed.insert(point)
            out.append(point)
        }
        return out
    }

    private mutating func train() {
        let logs = observations.compactMap { $0.cost.map { log($0) } }
        let failed = (logs.max() ?? 0) + log(4.0)
        var rows: [[Double]] = []
        for observation in observations { rows.append(row(observation.point)) }
        let targets = observations.map { $0.cost.map { log($0) } ?? failed }
        model.fit(features: rows, targets: targets)
        members = (0..<(ensemble > 1 ? ensemble : 0)).map { _ in
            let sample = rows.indices.map { _ in Int.random(in: 0..<rows.count, using: &rng) }
            var member = model
            member.fit(features: sample.map { rows[$0] }, targets: sample.map { targets[$0] })
            return member
        }
    }

    /// Visits valid points by simulated annealing on the model's prediction, starting from the best
    /// measured points and from uniform ones; returns every distinct point visited with its prediction,
    /// in the order first visited (so that ties rank the same way on every run).
    private mutating func anneal() -> [(point: ConfigPoint, predicted: Double)] {
        var starts = observations.filter { $0.cost != nil }.sorted { $0.cost! < $1.cost! }.prefix(chains / 2).map(\.point)
        starts += space.sample(count: max(0, chains - starts.count), using: &rng)
        var visited: [ConfigPoint: Double] = [:]
        var order: [ConfigPoint] = []
        let spread = max(0.05, Self.standardDeviation(observations.compactMap { $0.cost.map { log($0) } }))
        func visit(_ point: ConfigPoint) -> Double {
            if let known = visited[point] { return known }
            let cost = predict(point)
            visited[point] = cost
            order.append(point)
            return cost
        }
        for start in starts {
            var current = start
            var currentCost = visit(current)
            for step in 0..<steps {
                let temperature = spread * (1 - Double(step) / Double(steps)) + 1e-3
                guard let candidate = neighbour(of: current) else { continue }
                let cost = visit(candidate)
                if cost < currentCost || Double.random(in: 0..<1, using: &rng) < exp((currentCost - cost) / temperature) {
                    current = candidate
                    currentCost = cost
                }
            }
        }
        return order.map { ($0, visited[$0]!) }
    }

    /// A valid point differing from `point` in one knob, or nil after a few invalid tries.
    private mutating func neighbour(of point: ConfigPoint) -> ConfigPoint? {
        for _ in 0..<8 {
            let knob = Int.random(in: 0..<space.knobs.count, using: &rng)
            let choices = space.candidates[knob].count
            guard choices > 1 else { continue }
            var indices = point.indices
            var other = Int.random(in: 0..<(choices - 1), using: &rng)
            if other >= indices[knob] { other += 1 }
            indices[knob] = other
            let candidate = ConfigPoint(indices)
            if space.isValid(candidate) { return candidate }
        }
        return nil
    }

    /// Each knob's value and its base-2 logarithm (a split's factors, a permutation's index), then
    /// the hints' features.
    func features(_ point: ConfigPoint) -> [Double] {
        var row: [Double] = []
        for (k, index) in point.indices.enumerated() where k < space.candidates.count && index < space.candidates[k].count {
            switch space.candidates[k][index] {
            case .choice(let v):
                row.append(Double(v))
                row.append(v > 0 ? log2(Double(v)) : -1)
            case .split(let factors):
                row += factors.map { log2(Double(max($0, 1))) }
            case .permutation:
                row.append(Double(index))
            }
        }
        return row + (hints.features?(point) ?? [])
    }

    static func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
    }
}
