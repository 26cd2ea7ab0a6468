/// The version of an NVRTC library, as `nvrtcVersion` reports it (e.g. 12.9, 13.5).
public struct NVRTCVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static func < (lhs: NVRTCVersion, rhs: NVRTCVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// "12.9".
    public var description: String { "\(major).\(minor)" }
}
