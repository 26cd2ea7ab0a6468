import CPUKernels
import ConvGeometry
import Tensors

/// Runs a convolution on the CPU: the reference (`Double` or exact integer accumulation, one thread)
/// or the fast multi-threaded path.
public struct CPUConv3DRunner: Conv3DRunner {
    public enum Variant: String, Sendable { case reference, fast }

    public let request: Conv3DRequest
    public let variant: Variant
    public let options: CPUConv3DOptions
    private let problem: Conv3DProblem

    public init(request: Conv3DRequest, variant: Variant, threads: Int? = nil) throws {
        self.request = request
        self.variant = variant
        var options = CPUConv3DOptions()
        if let threads { options.threads = threads }
        self.options = options
        self.problem = try Conv3DProblem(request)
    }

    public mutating func run(verify: Bool, bench: Bool, repeats: Int) throws -> Conv3DRunResult {
        let p = request.parameters
        var result = Conv3DRunResult(
            outputShape: p.outputShape,
            detail: variant == .reference
                ? "reference, 1 thread" : "\(options.instructionSet), \(options.threads) threads")
        var output = try compute(variant)
        if bench {
            var times: [Double] = []
            for _ in 0..<repeats {
                let clock = ContinuousClock()
                let start = clock.now
                output = try compute(variant)
                times.append(Self.milliseconds(clock.now - start))
            }
            result.milliseconds = Timing.median(times)
            result.spread = (times.min() ?? 0)...(times.max() ?? 0)
            result.repeats = repeats
        }
        if verify {
            // The reference is checked against the fast path, and the fast path against the reference.
            let other = try compute(variant == .reference ? .fast : .reference)
            let stats = output.compare(with: other)
            result.maxAbsError = stats.maxAbs
            result.relativeError = stats.relative
            result.verified = output.isInteger ? stats.maxAbs == 0 : stats.relative <= 1e-5
        }
        return result
    }

    private func compute(_ variant: Variant) throws -> ConvOutput {
        let p = request.parameters
        switch problem.operands {
        case let .int8(input, weight, epilogue):
            if variant == .reference {
                let acc = try ReferenceConv3D.conv3d(input, weight, parameters: p)
                if let epilogue { return .int8(try epilogue.apply(to: acc, residual: problem.residual).elements) }
                return .int32(acc.elements)
            }
            if let epilogue {
                return .int8(
                    try FastConv3D.conv3d(
                        input, weight, parameters: p, epilogue: epilogue, residual: problem.residual, options: options
                    ).elements)
            }
            return .int32(try FastConv3D.conv3d(input, weight, parameters: p, options: options).elements)
        case let .float32(input, weight, bias):
            if variant == .reference {
                return .float(try ReferenceConv3D.conv3d(input, weight, bias: bias, parameters: p).elements)
            }
            return .float(
                try FastConv3D.conv3d(input, weight, bias: bias, parameters: p, options: options).elements)
        }
    }

    static func milliseconds(_ d: Duration) -> Double {
        let (seconds, attoseconds) = d.components
        return Double(seconds) * 1e3 + Double(attoseconds) * 1e-15
    }
}

/// A convolution's output in whichever element type the request produces.
enum ConvOutput {
    case int32([Int32])
    case int8([Int8])
    case float([Float])

    var isInteger: Bool {
        if case .float = self { return false }
        return true
    }

    func compare(with reference: ConvOutput) -> ErrorStatistics {
        switch (self, reference) {
        case let (.int32(a), .int32(b)): ErrorStatistics(a, reference: b)
        case let (.int8(a), .int8(b)): ErrorStatistics(a, reference: b)
        case let (.float(a), .float(b)): ErrorStatistics(a, reference: b)
        default: ErrorStatistics([Float.nan], reference: [0])
        }
    }
}
