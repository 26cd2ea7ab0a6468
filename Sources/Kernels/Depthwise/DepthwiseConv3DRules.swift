/// The validity rules of the depthwise template on one architecture, and their class form for
/// ``ConfigSpace`` (every candidate its own class; the space has at most 192 points).
struct DepthwiseConv3DRules: Hashable, Sendable {
    let geometry: DepthwiseConv3DGeometry
    let arch: GPUArchitecture

    /// At most this many int32 accumulators per thread.
    static let maxAccumulators = 128
    /// At most this many registers of input window per thread.
    static let maxWindowRegisters = 64
    /// Registers kept for indices, addresses, the weight vector, scale and bias.
    static let reservedRegisters = 40

    /// Registers of one thread: accumulators, the input window with every byte sign-extended to a
    /// register of its own (ptxas extracts each once, since several outputs and taps reuse it), and the
    /// reserve. ptxas decides; this keeps the space away from spills (the sweep compiles all of it).
    ///
    /// With `tap_dp4a` the window stays packed: its raw words, the transposed words per channel and the
    /// row's weights in words of four taps.
    static func estimatedRegisters(_ config: DepthwiseConv3DConfig, geometry: DepthwiseConv3DGeometry) -> Int {
        let window = geometry.window(outputs: config.outputsW)
        // With `unroll_rows` the other rows of the filter plane are held as loaded words too.
        let heldRows = config.unrollRows ? (geometry.workload.kernel.height - 1) * window * config.channels / 4 : 0
        guard config.tapDP4A else {
            return config.outputsW * config.channels + window * config.channels + heldRows + reservedRegisters
        }
        let chunks = geometry.tapChunks
        return config.outputsW * config.channels + window * config.channels / 4 + heldRows
            + config.channels * (geometry.transposedWords(outputs: config.outputsW) + chunks) + reservedRegisters
    }

    /// Registers per thread of a block of `threads` threads with `__launch_bounds__(threads, 1)`.
    func registerBudget(threads: Int) -> Int {
        min(arch.maxRegistersPerThread, arch.registersPerBlock / max(threads, 32) / 8 * 8)
    }

    /// Every rule `config` breaks.
    func violations(of config: DepthwiseConv3DConfig) -> [DepthwiseConv3DViolation] {
        var found: [DepthwiseConv3DViolation] = []
        let pitch = geometry.pitch
        if pitch % config.channels != 0 { found.append(.channelVector(config.channels, pitch: pitch)) }
        let width = geometry.workload.output.width
        if config.outputsW != DepthwiseConv3DTemplate.outputsWValues[0], config.outputsW >= 2 * width {
            found.append(.oversizedTile(config.outputsW, width: width))
        }
        let accumulators = config.outputsW * config.channels
        if accumulators > Self.maxAccumulators { found.append(.accumulators(accumulators, limit: Self.maxAccumulators)) }
        let window = geometry.window(outputs: config.outputsW) * config.channels / 4
        if window > Self.maxWindowRegisters { found.append(.window(window, limit: Self.maxWindowRegisters)) }
        if config.threads > arch.maxThreadsPerBlock { found.append(.threads(config.threads, limit: arch.maxThreadsPerBlock)) }
        if config.tapDP4A, geometry.workload.dilation.width != 1 {
            found.append(.tapDP4A(dilation: geometry.workload.dilation.width))
        }
        let registers = Self.estimatedRegisters(config, geometry: geometry)
        let budget = registerBudget(threads: config.threads)
        if registers > budget { found.append(.registers(registers, budget: budget, threads: config.threads)) }
        if pitch % config.channels == 0, geometry.grid(config) > arch.maxGridDimensions.x {
            found.append(.grid(geometry.grid(config), limit: arch.maxGridDimensions.x))
        }
        return found
    }

    /// One sentence per rule, for the space's report.
    func descriptions() -> [String] {
        [
            "channels divides the packed channel pitch \(geometry.pitch)",
            "outputs_w below twice the output width \(geometry.workload.output.width), or 1",
            "at most \(Self.maxAccumulators) int32 accumulators (outputs_w x channels) per thread",
            "at most \(Self.maxWindowRegisters) registers of input window per thread",
            "threads within \(arch.maxThreadsPerBlock); estimated registers within the per-thread budget",
            "grid within \(arch.maxGridDimensions.x) blocks",
            "tap_dp4a only with a W dilation of 1 (dilation here: \(geometry.workload.dilation.width))",
        ]
    }
}

/// A rule a depthwise configuration breaks.
public enum DepthwiseConv3DViolation: Hashable, Sendable, CustomStringConvertible {
    case channelVector(Int, pitch: Int)
    case oversizedTile(Int, width: Int)
    case accumulators(Int, limit: Int)
    case window(Int, limit: Int)
    case threads(Int, limit: Int)
    case registers(Int, budget: Int, threads: Int)
    case grid(Int, limit: Int)
    case tapDP4A(dilation: Int)

    public var description: String {
        switch self {
        case let .channelVector(channels, pitch):
            return "channels \(channels) does not divide the packed channel pitch \(pitch)"
        case let .oversizedTile(outputs, width):
            return "outputs_w \(outputs) is at least twice the output width \(width)"
        case let .accumulators(n, limit):
            return "\(n) int32 accumulators per thread exceed \(limit)"
        case let .window(n, limit):
            return "an input window of \(n) registers per thread exceeds \(limit)"
        case let .threads(n, limit):
            return "\(n) threads per block exceed \(limit)"
        case let .registers(n, budget, threads):
            return "an estimated \(n) registers per thread exceed the \(budget) of a block of \(threads) threads"
        case let .grid(blocks, limit):
            return "\(blocks) blocks exceed the grid limit \(limit)"
        case let .tapDP4A(dilation):
            return "tap_dp4a needs consecutive taps along W; the W dilation is \(dilation)"
        }
    }
}

/// The depthwise rules in the class form ``ConfigSpace`` counts with: each candidate its own class, in
/// the knob order of ``DepthwiseConv3DTemplate/knobOrder``.
struct DepthwiseConv3DConstraints: ConfigConstraints {
    let rules: DepthwiseConv3DRules
    let candidateClasses: [[Int]] = DepthwiseConv3DTemplate.knobOrder.map { Array($0.1.indices) }

    func isValid(classes: [Int]) -> Bool {
        let values = DepthwiseConv3DTemplate.knobOrder.map(\.1)
        let config = DepthwiseConv3DConfig(
            channels: values[0][classes[0]], outputsW: values[1][classes[1]], threads: values[2][classes[2]],
            tapDP4A: values[3][classes[3]] != 0, unrollRows: values[4][classes[4]] != 0)
        return rules.violations(of: config).isEmpty
    }

    func mayBeValid(classes: [Int], fixed: Int) -> Bool { true }
}
