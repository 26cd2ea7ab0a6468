/// A CUDA version: of the driver (`cuDriverGetVersion`) or of an NVRTC library (`nvrtcVersion`).
public struct CUDAVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// A version as the driver encodes it, 1000 × major + 10 × minor: 12040 is 12.4.
    public init(encoded: Int) {
        self.init(major: encoded / 1000, minor: encoded % 1000 / 10)
    }

    public static func < (lhs: CUDAVersion, rhs: CUDAVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// "12.9".
    public var description: String { "\(major).\(minor)" }
}
