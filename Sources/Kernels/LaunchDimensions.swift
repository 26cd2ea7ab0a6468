/// Extents along x, y and z of a CUDA grid or block (what `dim3` holds).
public struct LaunchDimensions: Hashable, Codable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var z: Int

    public init(x: Int, y: Int = 1, z: Int = 1) {
        self.x = x
        self.y = y
        self.z = z
    }

    /// x · y · z.
    public var volume: Int { x * y * z }

    public var description: String { "(\(x), \(y), \(z))" }
}
