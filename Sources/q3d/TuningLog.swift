import Engine
import FoundationEssentials
import Kernels
import Tensors

// The tuning log: one JSON object per trial, appended as each trial ends (JSONLinesFile), read back
// to resume, to merge logs and to dispatch tuned configs; a truncated last line (a killed run) is
// skipped with a warning.

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
    /// What the worker reported besides the times: device, architecture, registers, spill bytes.
    var detail: String?
    var q3dVersion: String
    /// Seconds since 1970.
    var time: Double

    enum CodingKeys: String, CodingKey {
        case op, workload, dtype, output, impl, template, config, costs, ms, stage, error, device, arch, detail, time
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
