/// A histogram of the absolute values of one activation over the calibration set, built in one pass.
///
/// The range starts at the first batch's largest value and doubles (merging bin pairs, exactly)
/// whenever a later value exceeds it, so the bins always cover `[0, range)` with `bins` equal bins
/// and at least half of them span the data. Exact zeros are counted apart: after a ReLU they are
/// often half of all values, and they quantize without error whatever the scale.
public struct ActivationHistogram: Sendable {
    public private(set) var counts: [Double]
    public private(set) var range: Float = 0
    public private(set) var zeros: Double = 0
    public private(set) var maxAbs: Float = 0

    public init(bins: Int) {
        counts = Array(repeating: 0, count: max(bins, 2))
    }

    public var bins: Int { counts.count }
    public var binWidth: Float { range / Float(bins) }
    /// Every value counted, zeros included.
    public var total: Double { counts.reduce(0, +) + zeros }

    public mutating func add(_ values: [Float]) {
        var batchMax: Float = 0
        for v in values where v.isFinite { batchMax = max(batchMax, abs(v)) }
        maxAbs = max(maxAbs, batchMax)
        if range == 0 {
            if batchMax == 0 {
                zeros += Double(values.count)
                return
            }
            range = batchMax * (1 + 1e-6)
        }
        while batchMax >= range { doubleRange() }
        let scale = Float(bins) / range
        let last = bins - 1
        for v in values where v.isFinite {
            let a = abs(v)
            if a == 0 {
                zeros += 1
            } else {
                counts[min(Int(a * scale), last)] += 1
            }
        }
    }

    private mutating func doubleRange() {
        var merged = Array(repeating: 0.0, count: bins)
        for i in 0..<bins { merged[i / 2] += counts[i] }
        counts = merged
        range *= 2
    }
}
