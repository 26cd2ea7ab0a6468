import Foundation
import Graph
import Tensors

/// Paths of the fixtures made by Scripts/make_model_fixtures.py.
enum Fixtures {
    static let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures").path

    static func ops(_ name: String) -> String { "\(root)/ops/\(name)" }

    static func npy(_ path: String) throws -> AnyTensor { try NPY.read(path: path) }

    /// The op-coverage groups, each written at opset 11 (13 for QDQ) and at the newest opset.
    static let opGroups: [(name: String, opsets: [Int])] = [
        ("conv1d", [11, 28]), ("conv2d", [11, 28]), ("conv3d", [11, 28]), ("conv_bn_relu", [11, 28]),
        ("elementwise", [11, 28]), ("pools", [11, 28]), ("dense", [11, 28]), ("layout", [11, 28]), ("qdq", [13, 28]),
    ]
}

/// The largest absolute difference between two float tensors of the same shape, or nil when the
/// shapes differ.
func maxAbsDifference(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Float? {
    guard a.shape == b.shape else { return nil }
    return zip(a.elements, b.elements).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
}
