#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chooses the clipping threshold `t` of a symmetric int8 activation (scale `t / 127`) from its
/// calibration histogram. Each method is a pure function of the histogram, tested on its own.
public enum ThresholdSelection {
    /// Positive levels of a symmetric int8 value.
    static let levels = 127

    /// The threshold, at most the largest value seen; 0 only for a value that was always 0. A method
    /// that would clip everything (a percentile below the share of exact zeros) falls back to max.
    public static func threshold(_ h: ActivationHistogram, method: CalibrationMethod) -> Float {
        guard h.maxAbs > 0, h.range > 0 else { return 0 }
        let t: Float
        switch method {
        case .max: t = h.maxAbs
        case .percentile(let p): t = percentile(h, p)
        case .entropy: t = entropy(h)
        case .mse: t = mse(h)
        }
        return t > 0 ? min(t, h.maxAbs) : h.maxAbs
    }

    /// The smallest value at or below which `p` percent of all values lie (linear inside a bin).
    static func percentile(_ h: ActivationHistogram, _ p: Double) -> Float {
        let target = h.total * p / 100
        var cumulative = h.zeros
        if cumulative >= target { return 0 }
        for (i, c) in h.counts.enumerated() {
            if cumulative + c >= target {
                let fraction = c > 0 ? (target - cumulative) / c : 1
                return (Float(i) + Float(fraction)) * h.binWidth
            }
            cumulative += c
        }
        return h.range
    }

    /// KL-divergence calibration: for each candidate number of bins `i`, the reference distribution
    /// `P` is the first `i` bins with everything beyond folded into the last; the candidate `Q` is the
    /// first `i` bins alone (no outliers) merged into 128 levels, each level's mass spread evenly over
    /// its non-empty bins. The threshold is the edge of the `i` whose `Q` diverges least from `P`:
    /// clipping too much shows up as mass `P` has in its last bin and `Q` lacks, too wide a range as
    /// detail `Q` cannot represent.
    static func entropy(_ h: ActivationHistogram) -> Float {
        let counts = h.counts
        let quantBins = levels + 1
        guard counts.count > quantBins else { return h.maxAbs }
        var tail = Array(repeating: 0.0, count: counts.count + 1)
        for i in stride(from: counts.count - 1, through: 0, by: -1) { tail[i] = tail[i + 1] + counts[i] }
        guard tail[0] > 0 else { return h.maxAbs }
        let step = max(1, counts.count / 512)
        var best = (divergence: Double.infinity, bins: counts.count)
        var q = [Double](repeating: 0, count: counts.count)
        for i in stride(from: quantBins, through: counts.count, by: step) {
            var qTotal = 0.0
            for j in 0..<quantBins {
                let start = j * i / quantBins
                let end = (j + 1) * i / quantBins
                var mass = 0.0
                var nonEmpty = 0
                for k in start..<end where counts[k] > 0 {
                    mass += counts[k]
                    nonEmpty += 1
                }
                let share = nonEmpty > 0 ? mass / Double(nonEmpty) : 0
                for k in start..<end { q[k] = counts[k] > 0 ? share : 0 }
                qTotal += mass
            }
            guard qTotal > 0 else { continue }
            let pTotal = tail[0]
            var divergence = 0.0
            for k in 0..<i {
                let pk = k == i - 1 ? counts[k] + tail[i] : counts[k]
                guard pk > 0 else { continue }
                guard q[k] > 0 else {
                    divergence = .infinity
                    break
                }
                divergence += pk / pTotal * log((pk / pTotal) / (q[k] / qTotal))
            }
            if divergence < best.divergence { best = (divergence, i) }
        }
        return Float(best.bins) * h.binWidth
    }

    /// The threshold minimizing the expected squared quantization error over the histogram: `s²/12`
    /// for each value inside the range (rounding to a step `s = t/127`, uniformly distributed within a
    /// step) and `(x - t)²` for each value clipped beyond it, at bin centres. Exact zeros cost nothing.
    static func mse(_ h: ActivationHistogram) -> Float {
        let w = Double(h.binWidth)
        let step = max(1, h.bins / 512)
        var best = (error: Double.infinity, threshold: Double(h.maxAbs))
        for edge in stride(from: step, through: h.bins, by: step) {
            let t = Double(edge) * w
            let s = t / Double(levels)
            var error = 0.0
            let rounding = s * s / 12
            for (b, c) in h.counts.enumerated() where c > 0 {
                let x = (Double(b) + 0.5) * w
                error += x <= t ? c * rounding : c * (x - t) * (x - t)
            }
            if error < best.error { best = (error, t) }
        }
        return Float(best.threshold)
    }
}
