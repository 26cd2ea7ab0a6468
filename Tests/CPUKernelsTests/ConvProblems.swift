import ConvGeometry
import Foundation
import Tensors

/// The shared list of small, odd convolutions every CPU kernel is checked on: C=3, K=5, kernels
/// 3x1x1, 1x3x3 and 2x3x4, strides and dilations of 2, asymmetric padding, groups, depthwise, N=2,
/// channel counts that cross a 16-channel tile, and rows wider than one kernel segment.
struct ConvProblem: CustomStringConvertible {
    let name: String
    let parameters: Conv3DParameters

    var description: String { "\(name) (\(parameters))" }

    static let all: [ConvProblem] = [
        problem("3x1x1 C3 K5 N2", n: 2, c: 3, k: 5, dhw: (5, 4, 6), kernel: (3, 1, 1), pads: [1, 0, 0, 1, 0, 0]),
        problem("1x3x3 stride 2 asymmetric", n: 1, c: 3, k: 5, dhw: (3, 7, 8), kernel: (1, 3, 3),
                stride: (1, 2, 2), pads: [0, 1, 0, 0, 0, 2]),
        problem("2x3x4 dilation 2", n: 2, c: 3, k: 5, dhw: (5, 7, 9), kernel: (2, 3, 4),
                dilation: (2, 2, 2), pads: [1, 2, 0, 0, 1, 3]),
        problem("strides and dilations mixed", n: 1, c: 5, k: 4, dhw: (7, 6, 11), kernel: (3, 2, 3),
                stride: (2, 1, 3), dilation: (1, 2, 2), pads: [2, 0, 1, 1, 1, 0]),
        problem("groups 2", n: 2, c: 6, k: 10, dhw: (3, 5, 5), kernel: (3, 3, 3), pads: [1, 1, 1, 1, 1, 1], groups: 2),
        problem("groups 3 odd channels", n: 1, c: 9, k: 6, dhw: (4, 4, 7), kernel: (1, 3, 2), pads: [0, 1, 1, 0, 0, 0],
                groups: 3),
        problem("depthwise", n: 2, c: 4, k: 4, dhw: (4, 5, 6), kernel: (3, 3, 3), pads: [1, 1, 1, 1, 1, 1], groups: 4),
        problem("depthwise multiplier 2, stride 2", n: 1, c: 3, k: 6, dhw: (5, 6, 7), kernel: (2, 3, 3),
                stride: (2, 2, 2), pads: [0, 1, 1, 1, 0, 1], groups: 3),
        problem("K 19 crosses a tile, C 17", n: 1, c: 17, k: 19, dhw: (2, 3, 13), kernel: (2, 2, 3),
                pads: [0, 1, 1, 1, 0, 1]),
        problem("row wider than a segment", n: 1, c: 2, k: 3, dhw: (1, 2, 131), kernel: (1, 1, 3),
                pads: [0, 0, 1, 0, 0, 1]),
        problem("1x1x1 pointwise", n: 2, c: 8, k: 16, dhw: (2, 3, 4), kernel: (1, 1, 1), pads: [0, 0, 0, 0, 0, 0]),
    ]

    private static func problem(
        _ name: String, n: Int, c: Int, k: Int, dhw: (Int, Int, Int), kernel: (Int, Int, Int),
        stride: (Int, Int, Int) = (1, 1, 1), dilation: (Int, Int, Int) = (1, 1, 1), pads: [Int], groups: Int = 1
    ) -> ConvProblem {
        // The values above are fixed and valid; failing here is a mistake in this list.
        let p = try! Conv3DParameters(
            batch: n, inputChannels: c, outputChannels: k, input: Extent3(dhw.0, dhw.1, dhw.2),
            kernel: Extent3(kernel.0, kernel.1, kernel.2), stride: Extent3(stride.0, stride.1, stride.2),
            dilation: Extent3(dilation.0, dilation.1, dilation.2), padding: .explicit(try! Padding3D(pads)),
            groups: groups)
        return ConvProblem(name: name, parameters: p)
    }
}

/// A fresh seed per test run, or `Q3D_TEST_SEED` to replay one that a failure printed.
func freshSeed() -> UInt64 {
    if let text = ProcessInfo.processInfo.environment["Q3D_TEST_SEED"], let seed = UInt64(text) { return seed }
    return UInt64.random(in: 0...UInt64.max)
}
