/// Zero padding added around a volume before the convolution window slides over it.
///
/// Six values, each at least 0: `front`, `top`, `left` come before the first element of depth, height
/// and width; `back`, `bottom`, `right` come after the last. ONNX writes the same six values as
/// `pads = [front, top, left, back, bottom, right]`.
public struct Padding3D: Hashable, Codable, Sendable, CustomStringConvertible {
    public var front: Int
    public var top: Int
    public var left: Int
    public var back: Int
    public var bottom: Int
    public var right: Int

    public init(front: Int, top: Int, left: Int, back: Int, bottom: Int, right: Int) {
        self.front = front
        self.top = top
        self.left = left
        self.back = back
        self.bottom = bottom
        self.right = right
    }

    /// The same padding on both sides of each axis.
    public init(symmetric extent: Extent3) {
        self.init(
            front: extent.depth, top: extent.height, left: extent.width,
            back: extent.depth, bottom: extent.height, right: extent.width)
    }

    public static let zero = Padding3D(symmetric: Extent3(uniform: 0))

    /// Builds padding from one value (all six sides), three values (depth, height, width; both sides
    /// alike) or six values (front, top, left, back, bottom, right).
    public init(_ values: [Int]) throws(ConvGeometryError) {
        switch values.count {
        case 1: self.init(symmetric: Extent3(uniform: values[0]))
        case 3: self.init(symmetric: Extent3(values[0], values[1], values[2]))
        case 6:
            self.init(
                front: values[0], top: values[1], left: values[2],
                back: values[3], bottom: values[4], right: values[5])
        default: throw .wrongValueCount(name: "padding", count: values.count, expected: "1, 3 or 6")
        }
    }

    /// Padding before the first element of each axis.
    public var before: Extent3 { Extent3(front, top, left) }
    /// Padding after the last element of each axis.
    public var after: Extent3 { Extent3(back, bottom, right) }
    /// `[front, top, left, back, bottom, right]`, the ONNX order.
    public var array: [Int] { [front, top, left, back, bottom, right] }

    public var description: String {
        before == after ? "\(front),\(top),\(left)" : array.map(String.init).joined(separator: ",")
    }
}

/// How the padding of a convolution is given: explicitly, or by one of ONNX's `auto_pad` rules,
/// which derive it from the input extent, kernel, stride and dilation.
public enum PaddingRule: Hashable, Codable, Sendable {
    case explicit(Padding3D)
    /// Output extent is ceil(input / stride); an odd total padding puts the extra element at the end.
    case sameUpper
    /// Output extent is ceil(input / stride); an odd total padding puts the extra element at the start.
    case sameLower
    /// No padding.
    case valid

    /// Parses ONNX's `auto_pad` attribute. `NOTSET` (or an empty string) means explicit padding.
    public init?(onnxAutoPad: String, explicit: Padding3D) {
        switch onnxAutoPad {
        case "NOTSET", "": self = .explicit(explicit)
        case "SAME_UPPER": self = .sameUpper
        case "SAME_LOWER": self = .sameLower
        case "VALID": self = .valid
        default: return nil
        }
    }
}
