/// What one run of a convolution implementation measured.
public struct Conv3DRunResult: Sendable {
    public var outputShape: [Int]
    /// Median milliseconds over the timed repetitions (nil without a benchmark).
    public var milliseconds: Double?
    /// Fastest and slowest timed repetition: the run-to-run spread.
    public var spread: ClosedRange<Double>?
    public var repeats: Int
    /// Largest |output - reference| (nil without verification). Exactly 0 for a correct int8 kernel.
    public var maxAbsError: Double?
    /// ‖output - reference‖ / ‖reference‖ (nil without verification).
    public var relativeError: Double?
    /// Output elements the kernel never wrote (GPU kernels: the output is poisoned before the run).
    public var unwritten: Int?
    public var verified: Bool?
    /// How the implementation ran: instruction set and threads, or the kernel config.
    public var detail: String
    /// GPU kernels: the config as JSON, and where it came from (`default`, `index N`, `given`, `tuning-log`).
    public var config: String?
    public var configSource: String?

    public init(outputShape: [Int], detail: String) {
        self.outputShape = outputShape
        self.repeats = 0
        self.detail = detail
    }
}

/// One implementation of a convolution, ready to run on its device.
public protocol Conv3DRunner {
    mutating func run(verify: Bool, bench: Bool, repeats: Int) throws -> Conv3DRunResult
}

/// Error statistics of an output against its reference.
public struct ErrorStatistics: Sendable, Equatable {
    public var maxAbs: Double
    public var relative: Double

    /// Compares element by element; shapes must already agree.
    public init<A: BinaryInteger, B: BinaryInteger>(_ output: [A], reference: [B]) {
        var maxAbs = 0.0, diff2 = 0.0, ref2 = 0.0
        for (o, r) in zip(output, reference) {
            let d = Double(Int64(o) - Int64(r))
            maxAbs = max(maxAbs, abs(d))
            diff2 += d * d
            ref2 += Double(r) * Double(r)
        }
        self.maxAbs = maxAbs
        self.relative = ref2 > 0 ? (diff2 / ref2).squareRoot() : (diff2 > 0 ? .infinity : 0)
    }

    public init(_ output: [Float], reference: [Float]) {
        var maxAbs = 0.0, diff2 = 0.0, ref2 = 0.0
        for (o, r) in zip(output, reference) {
            let d = Double(o) - Double(r)
            if d.isNaN { maxAbs = .nan; break }
            maxAbs = max(maxAbs, abs(d))
            diff2 += d * d
            ref2 += Double(r) * Double(r)
        }
        self.maxAbs = maxAbs
        self.relative = maxAbs.isNaN ? .nan : (ref2 > 0 ? (diff2 / ref2).squareRoot() : (diff2 > 0 ? .infinity : 0))
    }
}

/// Median and range of a list of timings.
public enum Timing {
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
