/// A stand-in for GPU trials on a machine without a GPU (`q3d tune-worker --device simulated`): each
/// config gets a fixed pseudo-time derived from its JSON, so that the whole tuning loop — proposals,
/// parallel compilation, the worker, the log, resume, the table and the plot — runs in tests and
/// demonstrations. It measures nothing; its times mean nothing.
public struct SimulatedTrialExecutor: TrialExecutor {
    public init() {}

    public var mustExit: Bool { false }

    public func run(_ request: TrialRequest) -> TrialResult {
        do {
            _ = try request.convRequest()
        } catch {
            return .failed(request.id, stage: "request", "\(error)")
        }
        if request.prepareOnly == true { return .prepared(request.id) }
        // FNV-1a of the config: the same pseudo-time in every process.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in (request.config ?? "default").utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let ms = 1 + Double(hash % 1000) / 1000
        return TrialResult(id: request.id, milliseconds: ms, times: [ms], detail: "simulated")
    }
}
