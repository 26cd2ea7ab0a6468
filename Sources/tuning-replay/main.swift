// Replays real imma_wgmma trials to judge a search strategy without a GPU (issue #5's measure):
// trials until a config within 5% of the best of the logged random trials, over seeds, in rounds of 16.
//
//   swift run -c release tuning-replay Tests/TuningTests/Fixtures/h100-imma-wgmma-random.csv [seeds] [pool,surrogate]
//
// pool: the space holds only the logged configs, each costing what it measured.
// surrogate: the template's whole space; a logged config costs what it measured, another the geometric
// mean of the logged configs one knob away (±2%, fixed per config), else a boosted-trees fit to all
// the log. Random search's expected trials, (N + 1) / (m + 1), count the m configs within 5% of the
// logged best among the N of the space (for the surrogate, estimated on 20,000 uniform points).
import ConvGeometry
import FoundationEssentials
import Kernels
import Tensors
import Tuning

#if canImport(Glibc)
    import Glibc
#endif

func rounded(_ x: Double) -> Double { (x * 10).rounded() / 10 }

func median(_ values: [Int]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? Double(s[s.count / 2]) : Double(s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Rows of the fixture by layer: knob values and ms (nil: failed).
func readTrials(_ path: String) throws -> [String: [([String: KnobValue], Double?)]] {
    var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
    let header = lines.removeFirst().split(separator: ",").map(String.init)
    var byLayer: [String: [([String: KnobValue], Double?)]] = [:]
    for line in lines {
        let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var values: [String: KnobValue] = [:]
        for (name, field) in zip(header, fields) where name != "layer" && name != "ms" {
            values[name] = .choice(Int(field) ?? 0)
        }
        byLayer[fields[0], default: []].append((values, Double(fields.last ?? "")))
    }
    return byLayer
}

let arguments = CommandLine.arguments
guard arguments.count > 1 else {
    print("usage: tuning-replay FIXTURE.csv [seeds] [pool,surrogate]")
    exit(2)
}
let seeds = arguments.count > 2 ? Int(arguments[2]) ?? 16 : 16
let modes = (arguments.count > 3 ? arguments[3] : "pool,surrogate").split(separator: ",").map(String.init)
let trials = try readTrials(arguments[1])

print("| layer | landscape | N | within 5% | random: expected | random: mean, median | model: mean, median | expected / model mean |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for layer in trials.keys.sorted() {
    guard let parameters = AnchorLayers.named(layer)?.parameters else { continue }
    let full = try ImmaWgmmaConv3DTemplate.space(for: parameters, on: .sm90a)
    let hints = SearchHints(
        features: try ImmaWgmmaConv3DTemplate.featureFunction(for: parameters, on: .sm90a, space: full),
        estimate: try ImmaWgmmaConv3DTemplate.estimateFunction(for: parameters, on: .sm90a, space: full))
    var costs: [ConfigPoint: Double?] = [:]
    for (values, ms) in trials[layer] ?? [] { costs[try full.point(forRecorded: values)] = ms }
    let logged = costs.keys.sorted { $0.indices.lexicographicallyPrecedes($1.indices) }
    let best = costs.values.compactMap { $0 }.min() ?? .infinity

    var fit = GradientBoostedTrees(rounds: 300, depth: 6, learningRate: 0.1)
    let succeeded = logged.filter { costs[$0]! != nil }
    func row(_ point: ConfigPoint) -> [Double] { point.indices.map(Double.init) + (hints.features?(point) ?? []) }
    fit.fit(features: succeeded.map(row), targets: succeeded.map { log(costs[$0]!!) })
    func surrogate(_ point: ConfigPoint) -> Double? {
        if let cost = costs[point] { return cost }
        var logs: [Double] = []
        for k in point.indices.indices {
            for i in full.candidates[k].indices where i != point.indices[k] {
                var near = point.indices
                near[k] = i
                if let cost = costs[ConfigPoint(near)], let cost { logs.append(log(cost)) }
            }
        }
        var noise = SeededGenerator(seed: UInt64(truncatingIfNeeded: (try? full.rawIndex(of: point)) ?? 0))
        let jitter = 1 + (Double(noise.next() % 1000) / 1000 - 0.5) * 0.04
        return exp(logs.isEmpty ? fit.predict(row(point)) : logs.reduce(0, +) / Double(logs.count)) * jitter
    }

    for mode in modes {
        let pool = mode == "pool"
        let space = pool ? try MeasuredPoints.space(restricting: full, to: logged) : full
        let cost: (ConfigPoint) -> Double? = pool ? { costs[$0] ?? nil } : surrogate
        let size = pool ? costs.count : full.validCount()
        var within = costs.values.filter { ($0 ?? .infinity) <= best * 1.05 }.count
        if !pool {
            var rng = SeededGenerator(seed: 99)
            let sample = full.sample(count: 20_000, using: &rng)
            let share = Double(sample.filter { (cost($0) ?? .infinity) <= best * 1.05 }.count) / Double(sample.count)
            within = Int(share * Double(size))
        }
        let expected = Double(size + 1) / Double(within + 1)
        let budget = 600
        var random: [Int] = [], model: [Int] = []
        for seed in 1...max(1, seeds) {
            var r = RandomSearch(space: space, seed: UInt64(seed) &* 7919)
            random.append(SearchEvaluation.trialsToReach(target: best, budget: budget, batch: 16, strategy: &r, cost: cost) ?? budget)
            var m = ModelGuidedSearch(space: space, seed: UInt64(seed) &* 7919, hints: hints)
            model.append(SearchEvaluation.trialsToReach(target: best, budget: budget, batch: 16, strategy: &m, cost: cost) ?? budget)
        }
        let randomMean = Double(random.reduce(0, +)) / Double(random.count)
        let modelMean = Double(model.reduce(0, +)) / Double(model.count)
        print(
            "| \(layer) | \(mode) | \(size) | \(within) | \(rounded(expected)) | \(rounded(randomMean)), \(median(random)) "
                + "| \(rounded(modelMean)), \(median(model)) | \(rounded(expected / modelMean))x |")
    }
}
print("(\(seeds) seeds; a run is cut off at 600 trials, which makes random's mean an underestimate)")
