import Kernels

/// Measuring a search strategy against a known cost function: how many trials it needs to come within
/// a fraction of a target cost (the "trials to reach within 5% of the best").
public enum SearchEvaluation {
    /// Trials (1-based) until `strategy`, fed batches of `batch` and told every cost, first measures a
    /// point costing at most `target * (1 + fraction)`; nil when `budget` trials or the space run out
    /// first. `cost` returns nil for a failed trial.
    public static func trialsToReach<S: SearchStrategy>(
        target: Double, fraction: Double = 0.05, budget: Int, batch: Int, strategy: inout S,
        cost: (ConfigPoint) -> Double?
    ) -> Int? {
        var trials = 0
        while trials < budget {
            let points = strategy.next(min(batch, budget - trials), excluding: [])
            guard !points.isEmpty else { return nil }
            for point in points {
                trials += 1
                let c = cost(point)
                strategy.observe(point, cost: c)
                if let c, c <= target * (1 + fraction) { return trials }
            }
        }
        return nil
    }

    /// The best-so-far cost after each trial of a recorded sequence (nil entries are failures).
    public static func bestSoFar(_ costs: [Double?]) -> [Double] {
        var best = Double.infinity
        return costs.map { cost in
            if let cost { best = min(best, cost) }
            return best
        }
    }
}
