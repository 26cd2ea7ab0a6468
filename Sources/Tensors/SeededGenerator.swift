/// A small, fast, deterministic random number generator (SplitMix64), so that a failing test or a
/// benchmark can be replayed from the seed it prints.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Tensor where Element == Int8 {
    /// Uniform random values in `range` with zero left out, so that an unwritten or mis-indexed
    /// element cannot hide behind a zero input.
    public static func randomNonZero(
        shape: [Int], layout: Layout? = nil, in range: ClosedRange<Int8> = -127...127,
        using generator: inout SeededGenerator
    ) throws(TensorError) -> Tensor {
        var t = try Tensor(shape: shape, layout: layout, repeating: 0)
        for i in 0..<t.count {
            var v: Int8 = 0
            while v == 0 { v = Int8.random(in: range, using: &generator) }
            t.elements[i] = v
        }
        return t
    }
}

extension Tensor where Element == UInt8 {
    /// Uniform random values in `range`, zero left out.
    public static func randomNonZero(
        shape: [Int], layout: Layout? = nil, in range: ClosedRange<UInt8> = 1...255,
        using generator: inout SeededGenerator
    ) throws(TensorError) -> Tensor {
        var t = try Tensor(shape: shape, layout: layout, repeating: 0)
        for i in 0..<t.count {
            var v: UInt8 = 0
            while v == 0 { v = UInt8.random(in: range, using: &generator) }
            t.elements[i] = v
        }
        return t
    }
}

extension Tensor where Element == Float {
    /// Uniform random values in `range`, exact zeros left out.
    public static func randomNonZero(
        shape: [Int], layout: Layout? = nil, in range: ClosedRange<Float> = -1...1,
        using generator: inout SeededGenerator
    ) throws(TensorError) -> Tensor {
        var t = try Tensor(shape: shape, layout: layout, repeating: 0)
        for i in 0..<t.count {
            var v: Float = 0
            while v == 0 { v = Float.random(in: range, using: &generator) }
            t.elements[i] = v
        }
        return t
    }
}
