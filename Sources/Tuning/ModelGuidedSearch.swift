import Kernels
import Tensors

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Model-guided search: a cost model trained on every measurement so far (``GradientBoostedTrees`` on
/// the log of the cost) steers simulated annealing over the valid points, and each batch takes the
/// points the model predicts fastest, plus a few uniform ones so the model keeps seeing the rest of
/// the space.
///
/// Until `warmup` trials have succeeded it proposes uniform random points. A failed trial counts as
/// four times slower than the slowest success, so the model learns to steer clear of what fails.
public struct ModelGuidedSearch: SearchStrategy {
    public let space: ConfigSpace
    /// Successful trials before the model is used.
    public var warmup: Int
    /// Share of each batch drawn uniformly rather than from the model.
    public var exploration: Double
    /// Annealing chains and steps per chain for each batch.
    public var chains: Int
    public var steps: Int
    /// Extra features of a point (e.g. a template's derived quantities: waves, bytes moved).
    public var derivedFeatures: (@Sendable (ConfigPoint) -> [Double])?

    private var rng: SeededGenerator
    private var model = GradientBoostedTrees()
    private var observations: [(point: ConfigPoint, cost: Double?)] = []
    private var observed = Set<ConfigPoint>()
    private var proposed = Set<ConfigPoint>()
    private var uniform: RandomSearch

    public init(
        space: ConfigSpace, seed: UInt64, warmup: Int = 16, exploration: Double = 0.15, chains: Int = 24,
        steps: Int = 120, derivedFeatures: (@Sendable (ConfigPoint) -> [Double])? = nil
    ) {
        self.space = space
        self.warmup = warmup
        self.exploration = exploration
        self.chains = chains
        self.steps = steps
        self.derivedFeatures = derivedFeatures
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
        if successes < warmup { return take(uniform.next(count, excluding: excluding.union(proposed))) }
        train()
        let explore = min(count - 1, Int((Double(count) * exploration).rounded()))
        var ranked = anneal().filter { !proposed.contains($0.point) && !excluding.contains($0.point) }
        ranked.sort { $0.predicted < $1.predicted }
        var batch = take(ranked.prefix(count - explore).map(\.point))
        batch += take(uniform.next(count - batch.count, excluding: excluding.union(proposed)))
        return batch
    }

    /// The model's estimate of log(cost) at `point` (meaningful once warm-up is over).
    public func predictedLogCost(_ point: ConfigPoint) -> Double { model.predict(features(point)) }

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
        model.fit(
            features: observations.map { features($0.point) },
            targets: observations.map { $0.cost.map { log($0) } ?? failed })
    }

    /// Visits valid points by simulated annealing on the model's prediction, starting from the best
    /// measured points and from uniform ones; returns every distinct point visited with its prediction.
    private mutating func anneal() -> [(point: ConfigPoint, predicted: Double)] {
        var starts = observations.filter { $0.cost != nil }.sorted { $0.cost! < $1.cost! }.prefix(chains / 2).map(\.point)
        starts += space.sample(count: max(0, chains - starts.count), using: &rng)
        var visited: [ConfigPoint: Double] = [:]
        let spread = max(0.05, Self.standardDeviation(observations.compactMap { $0.cost.map { log($0) } }))
        for start in starts {
            var current = start
            var currentCost = visited[current] ?? predictedLogCost(current)
            visited[current] = currentCost
            for step in 0..<steps {
                let temperature = spread * (1 - Double(step) / Double(steps)) + 1e-3
                guard let candidate = neighbour(of: current) else { continue }
                let cost = visited[candidate] ?? predictedLogCost(candidate)
                visited[candidate] = cost
                if cost < currentCost || Double.random(in: 0..<1, using: &rng) < exp((currentCost - cost) / temperature) {
                    current = candidate
                    currentCost = cost
                }
            }
        }
        return visited.map { ($0.key, $0.value) }
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
    /// the derived features.
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
        return row + (derivedFeatures?(point) ?? [])
    }

    static func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return 0 }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
    }
}
