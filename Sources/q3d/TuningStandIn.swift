import Engine
import FoundationEssentials
import Kernels
import Tensors

// STAND-IN: the `Tuning` library (tuning log, strategies, cost model, Tuner) is written on the
// `tuning` branch and had not been committed when `q3d tune` was written. This file holds the least
// `q3d tune` and `q3d conv3d --tuning-log` need meanwhile — a JSON Lines record, loading with a warning
// for a truncated line, random and grid proposals — and goes away when that branch merges.

/// One trial as a line of the tuning log.
struct TrialRecord: Codable {
    var op = "conv3d"
    var workload: TrialWorkload
    var dtype: String
    var output: String
    /// The implementation (`--impl` name), its template and the template's version.
    var impl: String
    var template: String?
    var templateVersion: Int?
    var config: String?
    /// Every timed run in milliseconds (empty for a failed trial) and their median.
    var costs: [Double]
    var ms: Double?
    var stage: String?
    var error: String?
    var device: String
    var arch: String
    var q3dVersion: String
    /// Seconds since 1970.
    var time: Double

    enum CodingKeys: String, CodingKey {
        case op, workload, dtype, output, impl, template, config, costs, ms, stage, error, device, arch, time
        case templateVersion = "template_version", q3dVersion = "q3d_version"
    }

    static let q3dVersion = "0.1-dev"

    /// Whether this record is a trial of `impl` on this workload, element type and output.
    func matches(_ workload: TrialWorkload, dtype: String, output: String, impl: String? = nil) -> Bool {
        self.workload == workload && self.dtype == dtype && self.output == output && (impl == nil || self.impl == impl)
    }
}

/// The records of a tuning log file.
struct TrialLog {
    var records: [TrialRecord] = []
    /// One per unreadable line: a truncated last line (a killed run) or a foreign one.
    var warnings: [String] = []

    /// Reads `path`; a missing file is an empty log.
    static func load(_ path: String) throws -> TrialLog {
        var log = TrialLog()
        let data: Data
        do {
            data = try Data(contentsOf: URL(filePath: path))
        } catch {
            if !FileManager.default.fileExists(atPath: path) { return log }
            throw ValidationErrorText("cannot read tuning log \(path): \(error)")
        }
        let decoder = JSONDecoder()
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let lastLine = lines.lastIndex { !$0.isEmpty }
        for (i, line) in lines.enumerated() where !line.isEmpty {
            do {
                log.records.append(try decoder.decode(TrialRecord.self, from: Data(line)))
            } catch {
                let last = i == lastLine
                log.warnings.append(
                    "\(path):\(i + 1): skipped \(last ? "a truncated last line (a killed run?)" : "an unreadable line")")
            }
        }
        return log
    }
}

/// Configs to measure next, never one the log already holds.
struct TrialProposals {
    let space: ConfigSpace
    let strategy: String
    var rng: SeededGenerator
    private var gridIndex = 0

    init(space: ConfigSpace, strategy: String, seed: UInt64) {
        self.space = space
        self.strategy = strategy
        rng = SeededGenerator(seed: seed)
    }

    /// Up to `count` valid points outside `seen` (fewer when the space runs out).
    mutating func next(_ count: Int, excluding seen: Set<ConfigPoint>) -> [ConfigPoint] {
        var points: [ConfigPoint] = []
        var taken = seen
        if strategy == "grid" {
            while points.count < count && gridIndex < space.rawSize {
                defer { gridIndex += 1 }
                guard let point = try? space.point(atRawIndex: gridIndex), space.isValid(point), !taken.contains(point)
                else { continue }
                taken.insert(point)
                points.append(point)
            }
            return points
        }
        // Random: distinct uniform samples, a few draws more than asked to make up for repeats.
        var attempts = 0
        while points.count < count && attempts < 8 {
            attempts += 1
            for point in space.sample(count: count * 2, using: &rng) where !taken.contains(point) && points.count < count {
                taken.insert(point)
                points.append(point)
            }
        }
        return points
    }
}
