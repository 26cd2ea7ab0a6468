import ConvGeometry

/// What ``ImmaConv3DRunner/verify(_:expected:)`` found: a GPU output, written twice over two different
/// poison patterns, compared element by element with the CPU.
public struct ImmaConv3DVerification: Sendable, Hashable {
    /// Packed output elements checked, padding channels included.
    public var elements: Int
    /// Elements (of channels below K) that differ from the CPU's value.
    public var mismatches = 0
    /// Elements that hold each launch's poison: never written.
    public var unwritten = 0
    /// Elements that differ between the two launches: a race, or split-K counters not left at zero.
    public var unstable = 0
    /// Elements of the padding channels K..<Kp that are not 0.
    public var nonZeroPadding = 0
    public var firstMismatch: String?

    public init(elements: Int) { self.elements = elements }

    /// Compares two launches' packed outputs `[N, Do, Ho, Wo, Kp]` (int8 values sign-extended, or int32)
    /// with the CPU's NCDHW results: the requantized ones for `int8`, the int32 sums otherwise. Each
    /// launch's output was filled with its byte of `poisons` first.
    public init(
        first: [Int32], second: [Int32], poisons: (UInt8, UInt8), int8: Bool, expected: ImmaConv3DExpected,
        workload: Conv3DParameters, outputPitch: Int
    ) {
        self.init(elements: first.count)
        func mark(_ byte: UInt8) -> Int32 {
            int8 ? Int32(Int8(bitPattern: byte)) : Int32(bitPattern: UInt32(byte) * 0x0101_0101)
        }
        let marks = (mark(poisons.0), mark(poisons.1))
        let (k, volume) = (workload.outputChannels, workload.output.volume)
        for (e, (a, b)) in zip(first, second).enumerated() {
            if a == marks.0 && b == marks.1 {
                unwritten += 1
                continue
            }
            if a != b { unstable += 1 }
            let (pixel, channel) = e.quotientAndRemainder(dividingBy: outputPitch)
            if channel >= k {
                if a != 0 { nonZeroPadding += 1 }
                continue
            }
            let (n, s) = pixel.quotientAndRemainder(dividingBy: volume)
            let index = (n * k + channel) * volume + s
            let want = int8 ? Int32(expected.requantized.elements[index]) : expected.accumulators.elements[index]
            if a != want {
                mismatches += 1
                if firstMismatch == nil {
                    firstMismatch = "n \(n), output pixel \(s), channel \(channel): got \(a), expected \(want)"
                }
            }
        }
    }

    public var passed: Bool { mismatches == 0 && unwritten == 0 && unstable == 0 && nonZeroPadding == 0 }

    /// "passed (n elements)" or the counts of each kind of failure.
    public var summary: String {
        guard !passed else { return "passed (\(elements) elements)" }
        var parts = ["\(mismatches) mismatches", "\(unwritten) unwritten", "\(unstable) unstable", "\(nonZeroPadding) non-zero padding"]
        if let firstMismatch { parts.append("first: \(firstMismatch)") }
        return parts.joined(separator: ", ")
    }
}
