import Kernels

/// What a template knows about its space that can steer a search before any trial: features derived
/// from a point, a rough estimate of a point's cost, and points worth measuring first.
///
/// ```swift
/// let hints = SearchHints(features: { point in [waves(point), tileUse(point)] }, initialPoints: [defaultPoint])
/// var search = ModelGuidedSearch(space: space, seed: 1, hints: hints)
/// ```
public struct SearchHints: Sendable {
    /// Extra features of a point for the cost model (a template's derived quantities: waves, bytes
    /// moved, tile use).
    public var features: (@Sendable (ConfigPoint) -> [Double])?
    /// A rough estimate of a point's cost (a roofline's seconds, say): only its order matters.
    public var estimate: (@Sendable (ConfigPoint) -> Double)?
    /// Points to measure first, in order (a template's default config).
    public var initialPoints: [ConfigPoint]

    public init(
        features: (@Sendable (ConfigPoint) -> [Double])? = nil, estimate: (@Sendable (ConfigPoint) -> Double)? = nil,
        initialPoints: [ConfigPoint] = []
    ) {
        self.features = features
        self.estimate = estimate
        self.initialPoints = initialPoints
    }
}
