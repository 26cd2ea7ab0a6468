import Engine

/// The dispatcher's view of a tuning log: the successful trials of one workload, element type and output.
enum TunedConfigs {
    /// Reads `path` (printing a warning for each unreadable line) and keeps the records of `request`.
    static func load(_ path: String, request: Conv3DRequest) throws -> [TunedConfig] {
        let log = try TrialLog.load(path)
        for warning in log.warnings { Terminal.note("warning: \(warning)") }
        let workload = TrialWorkload(request.parameters)
        return log.records.compactMap { record in
            guard record.matches(workload, dtype: request.dtype.rawValue, output: request.outputName),
                let config = record.config, let ms = record.ms, record.error == nil
            else { return nil }
            return TunedConfig(impl: record.impl, configJSON: config, milliseconds: ms, arch: record.arch, deviceName: record.device)
        }
    }
}
