import Kernels

/// Constraints that admit exactly the listed points, each candidate its own class: a template's space
/// cut down to the configs a log measured, so that a search replayed on it only ever asks for a cost
/// that was measured.
///
/// ```swift
/// let replay = try MeasuredPoints.space(restricting: space, to: Array(costs.keys))
/// var search = ModelGuidedSearch(space: replay, seed: 1)
/// let trials = SearchEvaluation.trialsToReach(target: best, budget: 500, batch: 16, strategy: &search) { costs[$0] ?? nil }
/// ```
public struct MeasuredPoints: ConfigConstraints {
    public let candidateClasses: [[Int]]
    private let members: Set<[Int]>
    private let prefixes: Set<[Int]>

    public init(candidateCounts: [Int], points: [ConfigPoint]) {
        candidateClasses = candidateCounts.map { Array(0..<$0) }
        members = Set(points.map(\.indices))
        prefixes = Set(points.flatMap { point in (0...point.indices.count).map { Array(point.indices.prefix($0)) } })
    }

    /// `space`'s knobs with only `points` valid.
    public static func space(restricting space: ConfigSpace, to points: [ConfigPoint]) throws(ConfigSpaceError) -> ConfigSpace {
        try ConfigSpace(
            knobs: space.knobs, constraints: MeasuredPoints(candidateCounts: space.candidates.map(\.count), points: points),
            rules: ["only the \(Set(points).count) measured configs"])
    }

    public func isValid(classes: [Int]) -> Bool { members.contains(classes) }
    public func mayBeValid(classes: [Int], fixed: Int) -> Bool { prefixes.contains(Array(classes.prefix(fixed))) }
}
