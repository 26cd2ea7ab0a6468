import ConvGeometry

/// A convolution as the trial worker's JSON carries it: shapes, stride, dilation, the resolved
/// padding and groups.
public struct TrialWorkload: Codable, Sendable, Hashable {
    /// `[N, C, D, H, W]`.
    public var input: [Int]
    /// `[K, C/groups, kd, kh, kw]`.
    public var weight: [Int]
    public var stride: [Int]
    public var dilation: [Int]
    /// `[front, top, left, back, bottom, right]`.
    public var padding: [Int]
    public var groups: Int

    public init(_ p: Conv3DParameters) {
        input = p.inputShape
        weight = p.weightShape
        stride = p.stride.array
        dilation = p.dilation.array
        padding = [p.padding.front, p.padding.top, p.padding.left, p.padding.back, p.padding.bottom, p.padding.right]
        groups = p.groups
    }

    /// The convolution; throws a message naming the malformed field.
    public func parameters() throws -> Conv3DParameters {
        func need(_ values: [Int], _ count: Int, _ field: String) throws {
            guard values.count == count else {
                throw EngineError.invalidInput("workload \(field) has \(values.count) values; expected \(count)")
            }
        }
        try need(input, 5, "input")
        try need(weight, 5, "weight")
        try need(stride, 3, "stride")
        try need(dilation, 3, "dilation")
        try need(padding, 6, "padding")
        return try Conv3DParameters(
            batch: input[0], inputChannels: input[1], outputChannels: weight[0],
            input: Extent3(input[2], input[3], input[4]), kernel: Extent3(weight[2], weight[3], weight[4]),
            stride: Extent3(stride[0], stride[1], stride[2]), dilation: Extent3(dilation[0], dilation[1], dilation[2]),
            padding: .explicit(try Padding3D(padding)), groups: groups)
    }
}

/// One trial for the worker process (`q3d tune-worker`): one JSON object per line on its standard input.
///
///     {"id":1,"workload":{...},"dtype":"int8","output":"int32","impl":"dp4a","config":"{...}",
///      "repeats":20,"warmup":5,"seed":1}
public struct TrialRequest: Codable, Sendable {
    public var id: Int
    public var workload: TrialWorkload
    public var dtype: ConvElementType
    /// `int32` accumulators, or `int8` / `int8-residual` through the fused epilogue (int8 only).
    public var output: String
    /// A template of ``KernelCatalog`` (cuda workers) or a CPU implementation (cpu workers).
    public var impl: String
    /// The config as JSON; nil for the template's default (and for CPU implementations).
    public var config: String?
    public var repeats: Int
    public var warmup: Int
    /// Seed of the random operands.
    public var seed: UInt64
    /// Tests only: makes the worker misbehave instead of measuring (see ``TrialDebug``).
    public var debug: TrialDebug?
    /// Prepare the problem (operands, CPU reference) and answer without a trial.
    public var prepareOnly: Bool?

    public init(
        id: Int, workload: TrialWorkload, dtype: ConvElementType = .int8, output: String = "int32", impl: String,
        config: String?, repeats: Int = 20, warmup: Int = 5, seed: UInt64 = 1, debug: TrialDebug? = nil
    ) {
        self.id = id
        self.workload = workload
        self.dtype = dtype
        self.output = output
        self.impl = impl
        self.config = config
        self.repeats = repeats
        self.warmup = warmup
        self.seed = seed
        self.debug = debug
    }

    /// What the worker prepares once per process: the operands and the CPU reference.
    public var problemKey: String {
        "\(workload) \(dtype.rawValue) \(output) seed \(seed)"
    }

    /// The request as a ``Conv3DRequest``; throws for a malformed workload or output.
    public func convRequest() throws -> Conv3DRequest {
        guard ["int32", "int8", "int8-residual"].contains(output) else {
            throw EngineError.invalidInput("output '\(output)'; expected int32, int8 or int8-residual")
        }
        return Conv3DRequest(
            parameters: try workload.parameters(), dtype: dtype, int8Output: output != "int32",
            residual: output == "int8-residual", seed: seed)
    }
}

/// Ways to make a worker fail on purpose, so that the parent's handling of a crashed or hung worker is
/// tested without a faulting GPU kernel.
public enum TrialDebug: String, Codable, Sendable {
    /// Exit at once with status 3, as a process whose CUDA context died might.
    case exit
    /// Raise SIGABRT.
    case abort
    /// Sleep and never answer.
    case hang
    /// GPU: launch a kernel that writes to an illegal address, which ends the CUDA context (other
    /// workers: raise SIGSEGV).
    case fault
    /// GPU: launch a kernel that never ends (other workers: as `hang`).
    case spin
}

/// What one trial measured, or why it failed: one JSON line on the worker's standard output.
public struct TrialResult: Codable, Sendable, Equatable {
    public var id: Int
    /// Median of the timed runs (nil when the trial failed).
    public var milliseconds: Double?
    /// Every timed run, in order.
    public var times: [Double]?
    /// Where a failed trial failed: `request`, `compile`, `load`, `verify`, `time`, `worker`, `timeout`.
    public var stage: String?
    public var error: String?
    /// Registers, spills, device: for reports.
    public var detail: String?
    /// True when the worker exits after this answer (its CUDA context is lost); the parent starts a new one.
    public var workerExits: Bool?

    public init(
        id: Int, milliseconds: Double? = nil, times: [Double]? = nil, stage: String? = nil, error: String? = nil,
        detail: String? = nil
    ) {
        self.id = id
        self.milliseconds = milliseconds
        self.times = times
        self.stage = stage
        self.error = error
        self.detail = detail
    }

    public static func failed(_ id: Int, stage: String, _ error: String) -> TrialResult {
        TrialResult(id: id, stage: stage, error: error)
    }

    public var succeeded: Bool { error == nil && milliseconds != nil }

    /// The answer to a prepare request.
    public static func prepared(_ id: Int) -> TrialResult { TrialResult(id: id, detail: "prepared") }
}
