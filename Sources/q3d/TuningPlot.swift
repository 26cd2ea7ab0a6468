/// Best-so-far time against trials as a small standalone SVG (`q3d tune --plot F.svg`).
///
/// One workload is drawn in milliseconds; several are drawn relative to each one's final best (1 is
/// the best found), so that layers of very different sizes share one axis.
enum TuningPlot {
    struct Series {
        var label: String
        /// The best time after each trial (nil until a trial succeeds).
        var bestSoFar: [Double?]
    }

    static let width = 640.0, height = 400.0
    static let left = 64.0, right = 16.0, top = 36.0, bottom = 48.0
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    static func svg(title: String, series: [Series]) -> String {
        let relative = series.count > 1
        let lines: [(String, [(Double, Double)])] = series.map { s in
            let final = s.bestSoFar.compactMap { $0 }.min() ?? 1
            let points = s.bestSoFar.enumerated().compactMap { i, v in v.map { (Double(i + 1), relative ? $0 / final : $0) } }
            return (s.label, points)
        }
        let trials = Double(max(1, series.map(\.bestSoFar.count).max() ?? 1))
        let values = lines.flatMap { $0.1.map(\.1) }
        var low = relative ? 1 : (values.min() ?? 0)
        var high = values.max() ?? 1
        if relative { high = min(high, 3) }
        if high <= low { high = low + max(abs(low) * 0.1, 1e-3) }
        let yTicks = niceTicks(low, high)
        low = min(low, yTicks.first ?? low)
        high = max(high, yTicks.last ?? high)
        let xTicks = niceTicks(1, trials).filter { $0 >= 1 && $0 <= trials }
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ t: Double) -> Double { left + (trials > 1 ? (t - 1) / (trials - 1) : 0) * plotWidth }
        func y(_ v: Double) -> Double { top + (1 - (min(v, high) - low) / (high - low)) * plotHeight }

        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
                + "viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(f(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>",
        ]
        for t in yTicks {
            svg.append(
                "<line x1=\"\(f(left))\" y1=\"\(f(y(t)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(t)))\" stroke=\"#e0e0e0\"/>")
            svg.append(
                "<text x=\"\(f(left - 6))\" y=\"\(f(y(t) + 4))\" text-anchor=\"end\">\(Format.significant(t, 3))</text>")
        }
        for t in xTicks {
            svg.append(
                "<line x1=\"\(f(x(t)))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(x(t)))\" y2=\"\(f(top + plotHeight + 4))\" stroke=\"black\"/>")
            svg.append("<text x=\"\(f(x(t)))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(Int(t))</text>")
        }
        svg.append(
            "<path d=\"M\(f(left)),\(f(top))V\(f(top + plotHeight))H\(f(width - right))\" fill=\"none\" stroke=\"black\"/>")
        svg.append("<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">trial</text>")
        let yLabel = relative ? "best so far / final best" : "best time so far (ms)"
        svg.append(
            "<text transform=\"translate(16,\(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(yLabel)</text>")
        for (i, (label, points)) in lines.enumerated() {
            let color = colors[i % colors.count]
            if let first = points.first {
                // Best-so-far only steps down: horizontal to the next trial, then vertical.
                var d = "M\(f(x(first.0))),\(f(y(first.1)))"
                var last = first.1
                for p in points.dropFirst() where p.1 != last {
                    d += "H\(f(x(p.0)))V\(f(y(p.1)))"
                    last = p.1
                }
                d += "H\(f(x(trials)))"
                svg.append("<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>")
            }
            let ly = top + 8 + Double(i) * 16
            svg.append(
                "<line x1=\"\(f(width - right - 150))\" y1=\"\(f(ly))\" x2=\"\(f(width - right - 130))\" y2=\"\(f(ly))\" "
                    + "stroke=\"\(color)\" stroke-width=\"2\"/>")
            svg.append("<text x=\"\(f(width - right - 124))\" y=\"\(f(ly + 4))\">\(escape(label))</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// About five round tick values covering `low...high` (steps of 1, 2 or 5 times a power of ten).
    static func niceTicks(_ low: Double, _ high: Double) -> [Double] {
        let span = max(high - low, 1e-12)
        var step = 1.0
        while step * 10 <= span { step *= 10 }
        while step > span { step /= 10 }
        for factor in [0.2, 0.5, 1.0] where span / (step * factor) <= 6 {
            step *= factor
            break
        }
        var ticks: [Double] = []
        var t = (low / step).rounded(.down) * step
        while t <= high + step * 0.5 && ticks.count < 20 {
            ticks.append((t / step).rounded() * step)
            t += step
        }
        return ticks
    }

    static func f(_ v: Double) -> String { Format.fixed(v, 1) }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
