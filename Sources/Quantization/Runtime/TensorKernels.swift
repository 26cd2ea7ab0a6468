/// Operations that move or combine whole tensors: matrix products, transposes, concatenation,
/// padding and reductions.
enum TensorKernels {
    /// `alpha · op(A) · op(B) + beta · C` for matrices; `c` is already broadcast to `[m, n]`.
    static func gemm(
        _ a: [Float], _ b: [Float], c: [Float]?, m: Int, n: Int, k: Int, transA: Bool, transB: Bool,
        alpha: Float, beta: Float
    ) -> [Float] {
        var out = Array(repeating: Float(0), count: m * n)
        for i in 0..<m {
            for p in 0..<k {
                let av = alpha * (transA ? a[p * m + i] : a[i * k + p])
                for j in 0..<n { out[i * n + j] += av * (transB ? b[j * k + p] : b[p * n + j]) }
            }
        }
        if let c { for i in out.indices { out[i] += beta * c[i] } }
        return out
    }

    /// Numpy matmul: batch dimensions broadcast, rank-1 operands promoted and the unit axis dropped.
    static func matMul(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], outShape: [Int]) -> [Float] {
        let a2 = aShape.count == 1 ? [1] + aShape : aShape
        let b2 = bShape.count == 1 ? bShape + [1] : bShape
        let (m, k) = (a2[a2.count - 2], a2[a2.count - 1])
        let n = b2[b2.count - 1]
        let batchShape = Array(outShape.dropLast((aShape.count > 1 ? 1 : 0) + (bShape.count > 1 ? 1 : 0)))
        let batches = batchShape.reduce(1, *)
        // Offsets of each batch's matrix in a and b, by broadcasting a batch index over each.
        let aBatch = Array(a2.dropLast(2))
        let bBatch = Array(b2.dropLast(2))
        let indices = Array(0..<batches)
        let aIndex = ElementwiseKernels.broadcast(indices, batchShape, indexGrid(aBatch), aBatch, to: batchShape) { _, i in i }
        let bIndex = ElementwiseKernels.broadcast(indices, batchShape, indexGrid(bBatch), bBatch, to: batchShape) { _, i in i }
        var out: [Float] = []
        out.reserveCapacity(batches * m * n)
        for batch in 0..<batches {
            let ao = aIndex[batch] * m * k
            let bo = bIndex[batch] * k * n
            out += gemm(
                Array(a[ao..<(ao + m * k)]), Array(b[bo..<(bo + k * n)]), c: nil, m: m, n: n, k: k,
                transA: false, transB: false, alpha: 1, beta: 0)
        }
        return out
    }

    private static func indexGrid(_ shape: [Int]) -> [Int] { Array(0..<shape.reduce(1, *)) }

    static func transpose<T>(_ x: [T], shape: [Int], perm: [Int]) -> [T] {
        let rank = shape.count
        var inStrides = Array(repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let outShape = perm.map { shape[$0] }
        let permutedStrides = perm.map { inStrides[$0] }
        var out: [T] = []
        out.reserveCapacity(x.count)
        var index = Array(repeating: 0, count: rank)
        var offset = 0
        for _ in 0..<x.count {
            out.append(x[offset])
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                offset += permutedStrides[axis]
                if index[axis] < outShape[axis] { break }
                offset -= permutedStrides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    static func concat<T>(_ parts: [([T], [Int])], axis: Int) -> [T] {
        guard let first = parts.first else { return [] }
        let outer = first.1.prefix(axis).reduce(1, *)
        var out: [T] = []
        for o in 0..<outer {
            for (data, shape) in parts {
                let chunk = shape.dropFirst(axis).reduce(1, *)
                out += data[(o * chunk)..<((o + 1) * chunk)]
            }
        }
        return out
    }

    static func pad<T>(_ x: [T], shape: [Int], pads: [Int], value: T, outShape: [Int]) -> [T] {
        let rank = shape.count
        var out = Array(repeating: value, count: outShape.reduce(1, *))
        var index = Array(repeating: 0, count: rank)
        for (i, v) in x.enumerated() {
            // Input multi-index -> output offset; elements cropped by negative pads are skipped.
            var rem = i
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                index[axis] = rem % shape[axis]
                rem /= shape[axis]
            }
            var offset = 0
            var inside = true
            for axis in 0..<rank {
                let o = index[axis] + pads[axis]
                if o < 0 || o >= outShape[axis] { inside = false; break }
                offset = offset * outShape[axis] + o
            }
            if inside { out[offset] = v }
        }
        return out
    }

    /// The mean over `axes` (a set of axis indices), keeping unit axes in place of reduced ones.
    static func reduceMean(_ x: [Float], shape: [Int], axes: Set<Int>) -> [Float] {
        let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        var strides = Array(repeating: 0, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = axes.contains(i) ? 0 : running
            running *= kept[i]
        }
        var sums = Array(repeating: Float(0), count: kept.reduce(1, *))
        var index = Array(repeating: 0, count: shape.count)
        var offset = 0
        for v in x {
            sums[offset] += v
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < shape[axis] { break }
                offset -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        let count = Float(axes.reduce(1) { $0 * shape[$1] })
        return sums.map { $0 / count }
    }
}
