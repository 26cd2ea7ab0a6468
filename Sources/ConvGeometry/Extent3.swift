/// A size or a step along the three spatial axes of a volume, in the order depth, height, width.
///
/// Q3D uses it for input and output extents, kernel extents, strides and dilations.
/// ```swift
/// let stride = Extent3(1, 2, 2)      // depth 1, height 2, width 2
/// let dilation = Extent3(uniform: 1)
/// ```
public struct Extent3: Hashable, Codable, Sendable, CustomStringConvertible {
    public var depth: Int
    public var height: Int
    public var width: Int

    public init(depth: Int, height: Int, width: Int) {
        self.depth = depth
        self.height = height
        self.width = width
    }

    public init(_ depth: Int, _ height: Int, _ width: Int) {
        self.init(depth: depth, height: height, width: width)
    }

    public init(uniform value: Int) {
        self.init(depth: value, height: value, width: value)
    }

    /// Builds an extent from one value (used for all three axes) or three values (depth, height, width).
    public init(_ values: [Int], name: String) throws(ConvGeometryError) {
        switch values.count {
        case 1: self.init(uniform: values[0])
        case 3: self.init(values[0], values[1], values[2])
        default: throw .wrongValueCount(name: name, count: values.count, expected: "1 or 3")
        }
    }

    /// The values in depth, height, width order.
    public var array: [Int] { [depth, height, width] }

    /// depth · height · width.
    public var volume: Int { depth * height * width }

    public var description: String { "\(depth)x\(height)x\(width)" }
}
