import Graph
import Tensors

/// Max and average pooling over windows lifted to 3D, and the int8 averages that sum in int32.
enum PoolingKernels {
    /// Calls `body(outputIndex, inputOffsets)` for every output element of every (n, c) plane, with the
    /// offsets (within the plane) of the window taps inside the input, and the number of taps inside
    /// the padded extent (AveragePool's `count_include_pad` divisor).
    static func windows(
        planes: Int, _ g: PoolGeometry, _ body: (_ plane: Int, _ out: Int, _ taps: [Int], _ paddedCount: Int) -> Void
    ) {
        let (d, h, w) = (g.input.depth, g.input.height, g.input.width)
        var taps: [Int] = []
        taps.reserveCapacity(g.kernel.volume)
        for z in 0..<g.output.depth {
            for y in 0..<g.output.height {
                for x in 0..<g.output.width {
                    taps.removeAll(keepingCapacity: true)
                    var padded = 0
                    for a in 0..<g.kernel.depth {
                        let iz = z * g.stride.depth - g.padding.front + a * g.dilation.depth
                        let zPad = iz >= -g.padding.front && iz < d + g.padding.back
                        for b in 0..<g.kernel.height {
                            let iy = y * g.stride.height - g.padding.top + b * g.dilation.height
                            let yPad = iy >= -g.padding.top && iy < h + g.padding.bottom
                            for c in 0..<g.kernel.width {
                                let ix = x * g.stride.width - g.padding.left + c * g.dilation.width
                                let xPad = ix >= -g.padding.left && ix < w + g.padding.right
                                if zPad && yPad && xPad { padded += 1 }
                                if iz >= 0 && iz < d && iy >= 0 && iy < h && ix >= 0 && ix < w {
                                    taps.append((iz * h + iy) * w + ix)
                                }
                            }
                        }
                    }
                    let out = (z * g.output.height + y) * g.output.width + x
                    for plane in 0..<planes { body(plane, out, taps, padded) }
                }
            }
        }
    }

    static func maxPool<T: Comparable & TensorElement>(_ x: [T], planes: Int, _ g: PoolGeometry, lowest: T) -> [T] {
        let inPlane = g.input.volume
        let outPlane = g.output.volume
        var out = Array(repeating: lowest, count: planes * outPlane)
        windows(planes: planes, g) { plane, o, taps, _ in
            var m = lowest
            for t in taps { m = max(m, x[plane * inPlane + t]) }
            out[plane * outPlane + o] = m
        }
        return out
    }

    static func averagePool(_ x: [Float], planes: Int, _ g: PoolGeometry, countIncludePad: Bool) -> [Float] {
        let inPlane = g.input.volume
        let outPlane = g.output.volume
        var out = Array(repeating: Float(0), count: planes * outPlane)
        windows(planes: planes, g) { plane, o, taps, padded in
            var s: Float = 0
            for t in taps { s += x[plane * inPlane + t] }
            let count = countIncludePad ? padded : taps.count
            out[plane * outPlane + o] = count > 0 ? s / Float(count) : 0
        }
        return out
    }

    /// Sums int8 windows exactly (an int32 sum on the GPU; Int here, identical below 2^24 elements) and
    /// rescales once: `Float(sum) · (scale / count)`.
    static func int8AveragePool(
        _ x: [Int8], planes: Int, _ g: PoolGeometry, countIncludePad: Bool, scale: Float
    ) -> [Float] {
        let inPlane = g.input.volume
        let outPlane = g.output.volume
        var out = Array(repeating: Float(0), count: planes * outPlane)
        windows(planes: planes, g) { plane, o, taps, padded in
            var s = 0
            for t in taps { s += Int(x[plane * inPlane + t]) }
            let count = countIncludePad ? padded : taps.count
            out[plane * outPlane + o] = count > 0 ? Float(s) * (scale / Float(count)) : 0
        }
        return out
    }

    /// The mean of each plane of `planeSize` elements.
    static func globalAverage(_ x: [Float], planes: Int, planeSize: Int) -> [Float] {
        (0..<planes).map { p in
            var s: Float = 0
            for i in 0..<planeSize { s += x[p * planeSize + i] }
            return planeSize > 0 ? s / Float(planeSize) : 0
        }
    }

    /// int32 sum of each int8 plane, rescaled once: `Float(sum) · (scale / planeSize)`.
    static func int8GlobalAverage(_ x: [Int8], planes: Int, planeSize: Int, scale: Float) -> [Float] {
        let factor = planeSize > 0 ? scale / Float(planeSize) : 0
        return (0..<planes).map { p in
            var s = 0
            for i in 0..<planeSize { s += Int(x[p * planeSize + i]) }
            return Float(s) * factor
        }
    }
}
