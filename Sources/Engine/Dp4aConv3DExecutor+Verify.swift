import CPUKernels
import ConvGeometry
import Kernels
import Tensors

/// How a dp4a kernel's output compared with the CPU reference, element by element over the packed
/// NCDHW4c output (the lanes past K included: they must hold 0).
public struct Dp4aVerification: Sendable, CustomStringConvertible {
    /// One element that differs: its packed coordinates `[n, k / 4, d, h, w, k % 4]`.
    public struct Mismatch: Sendable {
        public var index: [Int]
        public var expected: Int32
        public var actual: Int32
    }

    /// Elements compared.
    public var count: Int
    /// Elements written with a wrong value (in either run).
    public var mismatches: Int
    /// Elements the kernel never wrote: they kept the poison of both runs.
    public var unwritten: Int
    /// Largest |actual - expected| over the wrong elements.
    public var maxAbsError: Int
    /// The first few mismatches and unwritten elements.
    public var examples: [Mismatch]

    public var passed: Bool { mismatches == 0 && unwritten == 0 }

    public var description: String {
        if passed { return "all \(count) elements exact" }
        let shown = examples.map { "\($0.index): expected \($0.expected), got \($0.actual)" }.joined(separator: "; ")
        return "\(mismatches) of \(count) elements wrong (max |error| \(maxAbsError)), \(unwritten) unwritten; \(shown)"
    }
}

extension Dp4aConv3DExecutor {
    /// Two poison patterns, different in every byte: an element the kernel never writes shows the first
    /// after the first run and the second after the second, which no written result can do (the kernel
    /// is deterministic). No single pattern would do for int8, where every byte value is a valid result.
    static let poisons: (UInt32, UInt32) = (0x7F7F_7F7F, 0x8080_8080)

    /// Runs the kernel twice on poisoned output buffers and compares both outputs with
    /// `ReferenceConv3D` (and ``Epilogue/apply(to:residual:)`` for int8), exactly.
    public func verify(
        input: Tensor<Int8>, weight: Tensor<Int8>, epilogue: Epilogue? = nil, residual: Tensor<Int8>? = nil
    ) throws -> Dp4aVerification {
        let buffers = try upload(input: input, weight: weight, epilogue: epilogue, residual: residual)
        let p = parameters
        let accumulators = try ReferenceConv3D.conv3d(
            input.reshaped(input.shape, layout: .ncdhw), weight.reshaped(weight.shape, layout: .oidhw), parameters: p)
        var runs: [[Int32]] = []
        let expected: [Int32]
        switch output {
        case .int32:
            expected = try accumulators.packedNCDHWc(block: 4).elements
            for poison in [Self.poisons.0, Self.poisons.1] {
                try buffers.output.memset32(poison)
                try launch(buffers)
                try context.synchronize()
                runs.append(try buffers.output.values(of: Int32.self))
            }
        case .int8:
            guard let epilogue else { throw Dp4aExecutorError.epilogue("int8 output needs an epilogue") }
            let requantized = try epilogue.apply(
                to: accumulators, residual: residual?.reshaped(p.outputShape, layout: .ncdhw))
            expected = try requantized.reshaped(p.outputShape, layout: .ncdhw).packedNCDHWc(block: 4).elements.map { Int32($0) }
            for poison in [Self.poisons.0, Self.poisons.1] {
                try buffers.output.memset32(poison)
                try launch(buffers)
                try context.synchronize()
                runs.append(try buffers.output.values(of: Int8.self).map { Int32($0) })
            }
        }
        let isInt32: Bool = if case .int32 = output { true } else { false }
        let poisonValues = [Self.poisons.0, Self.poisons.1].map { isInt32 ? Int32(bitPattern: $0) : Int32(Int8(bitPattern: UInt8($0 & 0xFF))) }
        var result = Dp4aVerification(count: expected.count, mismatches: 0, unwritten: 0, maxAbsError: 0, examples: [])
        let packedShape = [p.batch, (p.outputChannels + 3) / 4] + p.output.array + [4]
        for i in expected.indices {
            let (first, second) = (runs[0][i], runs[1][i])
            let unwritten = first == poisonValues[0] && second == poisonValues[1]
            let wrong = !unwritten && (first != expected[i] || second != expected[i])
            guard unwritten || wrong else { continue }
            if unwritten { result.unwritten += 1 } else { result.mismatches += 1 }
            let actual = first != expected[i] ? first : second
            if wrong { result.maxAbsError = max(result.maxAbsError, Int((Int64(actual) - Int64(expected[i])).magnitude)) }
            if result.examples.count < 8 {
                result.examples.append(.init(index: Self.coordinates(i, shape: packedShape), expected: expected[i], actual: actual))
            }
        }
        return result
    }

    /// Row-major coordinates of flat index `index` in `shape`.
    static func coordinates(_ index: Int, shape: [Int]) -> [Int] {
        var rest = index
        var result = Array(repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            result[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return result
    }
}
