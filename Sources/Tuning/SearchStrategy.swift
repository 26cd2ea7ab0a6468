import Kernels
import Tensors

/// How a tuner picks the configs to measure next from a ``ConfigSpace``.
///
/// A strategy proposes valid points it has not proposed before and learns from every measurement it is
/// told about, including ones it did not propose (a resumed log's, another machine's).
///
/// ```swift
/// var search = ModelGuidedSearch(space: space, seed: 1)
/// while let batch = Optional(search.next(16, excluding: measured)), !batch.isEmpty {
///     for point in batch { search.observe(point, cost: measure(point)) }   // nil: the trial failed
/// }
/// ```
public protocol SearchStrategy {
    /// Up to `count` valid points, none in `excluding` and none proposed before; none only when the
    /// space runs out. Fewer when the space runs out, or when the strategy would rather learn from the
    /// trials it has proposed before it proposes more (the model-guided search's warm-up).
    mutating func next(_ count: Int, excluding: Set<ConfigPoint>) -> [ConfigPoint]
    /// A measurement: the cost (lower is better, e.g. seconds), or nil for a failed trial.
    mutating func observe(_ point: ConfigPoint, cost: Double?)
}

/// The search strategies by their CLI names.
public enum SearchStrategyKind: String, CaseIterable, Sendable {
    case model, random, grid

    /// A strategy of this kind over `space`. Grid refuses spaces with more than `gridLimit` valid points.
    /// Only the model-guided search uses `hints`: random and grid stay the baselines they are.
    public func make(
        space: ConfigSpace, seed: UInt64, hints: SearchHints = SearchHints(), gridLimit: Int = 20_000
    ) throws(TuningError) -> any SearchStrategy {
        switch self {
        case .random: return RandomSearch(space: space, seed: seed)
        case .grid: return try GridSearch(space: space, limit: gridLimit)
        case .model: return ModelGuidedSearch(space: space, seed: seed, hints: hints)
        }
    }
}

/// Errors of the tuning library.
public enum TuningError: Error, Equatable, CustomStringConvertible {
    case gridTooLarge(valid: Int, limit: Int)
    case unknownStrategy(String)

    public var description: String {
        switch self {
        case let .gridTooLarge(valid, limit):
            return "grid search would measure all \(valid) valid configs; it takes spaces of at most \(limit) (use --strategy model or random)"
        case let .unknownStrategy(name):
            return "unknown search strategy '\(name)'; expected one of \(SearchStrategyKind.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}

/// Uniform random valid points without replacement.
public struct RandomSearch: SearchStrategy {
    public let space: ConfigSpace
    private var rng: SeededGenerator
    private var proposed = Set<ConfigPoint>()

    public init(space: ConfigSpace, seed: UInt64) {
        self.space = space
        rng = SeededGenerator(seed: seed)
    }

    public mutating func next(_ count: Int, excluding: Set<ConfigPoint>) -> [ConfigPoint] {
        guard count > 0 else { return [] }
        var points: [ConfigPoint] = []
        // Uniform draws in bulk (one pass of the space's counter each), repeats discarded; when most of
        // the space is taken, walk the ranks instead.
        for _ in 0..<4 where points.count < count {
            for point in space.sample(count: 2 * count + 8, using: &rng) where points.count < count {
                guard !proposed.contains(point), !excluding.contains(point) else { continue }
                proposed.insert(point)
                points.append(point)
            }
        }
        if points.count < count {
            var rank = 0
            while points.count < count, let point = space.validPoint(atRank: rank) {
                rank += 1
                guard !proposed.contains(point), !excluding.contains(point) else { continue }
                proposed.insert(point)
                points.append(point)
            }
        }
        return points
    }

    public mutating func observe(_ point: ConfigPoint, cost: Double?) { proposed.insert(point) }
}

/// Every valid point in rank order: for small spaces.
public struct GridSearch: SearchStrategy {
    public let space: ConfigSpace
    private var rank = 0
    private let validCount: Int
    private var seen = Set<ConfigPoint>()

    public init(space: ConfigSpace, limit: Int = 20_000) throws(TuningError) {
        let valid = space.validCount()
        guard valid <= limit else { throw .gridTooLarge(valid: valid, limit: limit) }
        self.space = space
        validCount = valid
    }

    public mutating func next(_ count: Int, excluding: Set<ConfigPoint>) -> [ConfigPoint] {
        var points: [ConfigPoint] = []
        while points.count < count, rank < validCount {
            defer { rank += 1 }
            guard let point = space.validPoint(atRank: rank), !seen.contains(point), !excluding.contains(point) else { continue }
            seen.insert(point)
            points.append(point)
        }
        return points
    }

    public mutating func observe(_ point: ConfigPoint, cost: Double?) { seen.insert(point) }
}

/// Stops a search once the best cost has not improved by more than `improvement` (a fraction) within
/// the last `patience` trials.
public struct EarlyStopping: Sendable {
    public let patience: Int
    public let improvement: Double
    private var best = Double.infinity
    private var sinceImprovement = 0

    public init(patience: Int, improvement: Double = 0.01) {
        self.patience = max(1, patience)
        self.improvement = improvement
    }

    /// Records one trial (nil: failed); returns true when the search should stop.
    public mutating func record(_ cost: Double?) -> Bool {
        if let cost, cost < best * (1 - improvement) {
            best = cost
            sinceImprovement = 0
        } else {
            if let cost { best = min(best, cost) }
            sinceImprovement += 1
        }
        return sinceImprovement >= patience
    }
}
