#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ConvGeometry
import Tensors

/// Element-by-element operations: numpy broadcasting, activations, BatchNormalization, and ONNX's
/// QuantizeLinear and DequantizeLinear.
enum ElementwiseKernels {
    /// `f(a, b)` over the broadcast of `a` and `b` to `shape`.
    static func broadcast<A, B, R>(
        _ a: [A], _ aShape: [Int], _ b: [B], _ bShape: [Int], to shape: [Int], _ f: (A, B) -> R
    ) -> [R] {
        if aShape == bShape { return zip(a, b).map(f) }
        if b.count == 1 { return a.map { f($0, b[0]) } }
        if a.count == 1 { return b.map { f(a[0], $0) } }
        let rank = shape.count
        func strides(_ s: [Int]) -> [Int] {
            let padded = Array(repeating: 1, count: rank - s.count) + s
            var out = Array(repeating: 0, count: rank)
            var running = 1
            for i in stride(from: rank - 1, through: 0, by: -1) {
                out[i] = padded[i] == 1 ? 0 : running
                running *= padded[i]
            }
            return out
        }
        let sa = strides(aShape)
        let sb = strides(bShape)
        let count = shape.reduce(1, *)
        var out: [R] = []
        out.reserveCapacity(count)
        var index = Array(repeating: 0, count: rank)
        var ia = 0
        var ib = 0
        for _ in 0..<count {
            out.append(f(a[ia], b[ib]))
            // Advance the multi-index like an odometer, keeping both source offsets in step.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                ia += sa[axis]
                ib += sb[axis]
                if index[axis] < shape[axis] { break }
                ia -= sa[axis] * shape[axis]
                ib -= sb[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    static func sigmoid(_ x: [Float]) -> [Float] { x.map { 1 / (1 + expf(-$0)) } }

    /// `(x - mean) / sqrt(variance + epsilon) · scale + bias`, per channel (axis 1).
    static func batchNormalization(
        _ x: [Float], shape: [Int], scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float
    ) -> [Float] {
        let channels = shape[1]
        let inner = shape.dropFirst(2).reduce(1, *)
        var out = x
        for i in out.indices {
            let c = (i / inner) % channels
            out[i] = (x[i] - mean[c]) / (variance[c] + epsilon).squareRoot() * scale[c] + bias[c]
        }
        return out
    }

    /// The channel of each element for per-axis quantization parameters of `count` values.
    static func channel(of i: Int, shape: [Int], axis: Int, count: Int) -> Int {
        guard count > 1 else { return 0 }
        let inner = shape.dropFirst(axis + 1).reduce(1, *)
        return (i / inner) % shape[axis]
    }

    /// ONNX QuantizeLinear: `saturate(roundHalfToEven(x / scale) + zeroPoint)` into [lowest, highest].
    static func quantize(
        _ x: [Float], shape: [Int], scale: [Float], zeroPoint: [Int], axis: Int, range: ClosedRange<Int>
    ) -> [Int] {
        x.indices.map { i in
            let c = channel(of: i, shape: shape, axis: axis, count: scale.count)
            let q = (x[i] / scale[c]).rounded(.toNearestOrEven)
            guard q.isFinite else { return q.isNaN ? zeroPoint[c] : (q > 0 ? range.upperBound : range.lowerBound) }
            let v = Int(max(min(q, 1e9), -1e9)) + zeroPoint[c]
            return min(max(v, range.lowerBound), range.upperBound)
        }
    }

    /// ONNX DequantizeLinear: `(x - zeroPoint) · scale`.
    static func dequantize(_ x: [Int], shape: [Int], scale: [Float], zeroPoint: [Int], axis: Int) -> [Float] {
        x.indices.map { i in
            let c = channel(of: i, shape: shape, axis: axis, count: scale.count)
            return Float(x[i] - zeroPoint[c]) * scale[c]
        }
    }

    /// Q3D's int8 addition, in the order of ``Epilogue``: `fma(b, scaleB, a · scaleA)`, ReLU, round, clamp.
    static func int8Add(_ a: Int8, _ b: Int8, scaleA: Float, scaleB: Float, relu: Bool) -> Int8 {
        var v = Float(a) * scaleA
        v = v.addingProduct(Float(b), scaleB)
        if relu { v = max(v, 0) }
        return Epilogue.saturate(v)
    }
}
