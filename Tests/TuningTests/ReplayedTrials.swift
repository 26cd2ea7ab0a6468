import ConvGeometry
import Foundation
import Kernels
import Tuning

/// Real trials of the `imma_wgmma` template on one anchor layer, replayed: 2,000 random configs and
/// their median times on an H100 (`Fixtures/h100-imma-wgmma-random.csv`, from
/// `bench/results/2026-11-25-h100-s3-tune-search-random.jsonl.gz`). `space` holds exactly the measured
/// configs, so a search over it only ever asks for a cost that was measured: no model of the GPU stands
/// in between.
struct ReplayedTrials {
    let layer: String
    let space: ConfigSpace
    let hints: SearchHints
    let costs: [ConfigPoint: Double?]

    init(layer: String, file: String = #filePath) throws {
        guard let parameters = AnchorLayers.named(layer)?.parameters else { throw ReplayError.unknownLayer(layer) }
        let full = try ImmaWgmmaConv3DTemplate.space(for: parameters, on: .sm90a)
        let path = URL(fileURLWithPath: file).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/h100-imma-wgmma-random.csv").path
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        var costs: [ConfigPoint: Double?] = [:]
        for line in lines where line.hasPrefix(layer + ",") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var values: [String: KnobValue] = [:]
            for (name, field) in zip(header, fields) where name != "layer" && name != "ms" {
                guard let value = Int(field) else { throw ReplayError.badLine(String(line)) }
                values[name] = .choice(value)
            }
            costs[try full.point(forRecorded: values)] = Double(fields.last ?? "")
        }
        guard !costs.isEmpty else { throw ReplayError.unknownLayer(layer) }
        self.layer = layer
        self.costs = costs
        let points = costs.keys.sorted { $0.indices.lexicographicallyPrecedes($1.indices) }
        space = try MeasuredPoints.space(restricting: full, to: points)
        hints = SearchHints(
            features: try ImmaWgmmaConv3DTemplate.featureFunction(for: parameters, on: .sm90a, space: full),
            estimate: try ImmaWgmmaConv3DTemplate.estimateFunction(for: parameters, on: .sm90a, space: full))
    }

    var best: Double { costs.values.compactMap { $0 }.min() ?? .infinity }

    func cost(_ point: ConfigPoint) -> Double? { costs[point] ?? nil }

    /// Trials random search needs on average to draw one of the `m` configs within `fraction` of the
    /// best among the `N` measured: (N + 1) / (m + 1).
    func randomExpectedTrials(fraction: Double = 0.05) -> Double {
        let within = costs.values.filter { ($0 ?? .infinity) <= best * (1 + fraction) }.count
        return Double(costs.count + 1) / Double(within + 1)
    }
}

enum ReplayError: Error {
    case unknownLayer(String)
    case badLine(String)
}
