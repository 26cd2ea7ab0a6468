/// The shape arithmetic that several operations share: broadcasting, axes, products, and the spatial
/// extents of convolutions and pools on shapes that may hold unknown dimensions.
extension ShapeInference {
    static func convOutput(_ a: ConvAttributes, x: [Dimension], w: [Dimension]) throws(GraphShapeError) -> [Dimension] {
        guard let weight = w.fixedValues else { throw .init("weight shape \(w.shapeDescription) must be known") }
        guard x.count == a.spatialRank + 2 else {
            throw .init("input has rank \(x.count); a \(a.spatialRank)D convolution expects rank \(a.spatialRank + 2)")
        }
        // Spatial extents and channels decide the output; an unknown batch is carried through.
        guard let channels = x[1].value else { throw .init("input channel count must be known") }
        let spatial = Array(x.suffix(a.spatialRank)).fixedValues
        let probe = [1, channels] + (spatial ?? Array(repeating: max(1, a.kernel.max() ?? 1) * 64, count: a.spatialRank))
        let p = try a.parameters(inputShape: probe, weightShape: weight)
        let out = Array(p.output.array.suffix(a.spatialRank))
        return [x[0], .fixed(weight[0])] + (spatial == nil ? Array(repeating: .unknown, count: a.spatialRank) : out.dimensions)
    }

    static func poolOutput(_ p: PoolAttributes, _ x: [Dimension]) throws(GraphShapeError) -> [Dimension] {
        guard x.count == p.spatialRank + 2 else {
            throw .init("input has rank \(x.count); a \(p.spatialRank)D pool expects rank \(p.spatialRank + 2)")
        }
        guard let spatial = Array(x.suffix(p.spatialRank)).fixedValues else {
            return Array(x.prefix(2)) + Array(repeating: .unknown, count: p.spatialRank)
        }
        let g = try p.geometry(inputShape: [1, 1] + spatial)
        return Array(x.prefix(2)) + Array(g.output.array.suffix(p.spatialRank)).dimensions
    }

    /// Numpy broadcasting; with `into`, `a` must broadcast to `b` exactly (Gemm's C).
    static func broadcast(_ a: [Dimension], _ b: [Dimension], into: Bool = false) throws(GraphShapeError) -> [Dimension] {
        let rank = max(a.count, b.count)
        if into && a.count > b.count { throw .init("\(a.shapeDescription) does not broadcast to \(b.shapeDescription)") }
        let pa = Array(repeating: Dimension.fixed(1), count: rank - a.count) + a
        let pb = Array(repeating: Dimension.fixed(1), count: rank - b.count) + b
        var out: [Dimension] = []
        for (p, q) in zip(pa, pb) {
            if p == q || q.value == 1 && !into {
                out.append(p)
            } else if p.value == 1 {
                out.append(q)
            } else if p.value == nil || q.value == nil {
                // An unknown size must equal the known one (or be 1) for the graph to run at all.
                out.append(p.value == nil ? q : p)
            } else {
                throw .init("shapes \(a.shapeDescription) and \(b.shapeDescription) do not broadcast")
            }
        }
        return out
    }

    static func matMulShape(_ a: [Dimension], _ b: [Dimension]) throws(GraphShapeError) -> [Dimension] {
        guard a.count >= 1, b.count >= 1 else { throw .init("MatMul needs inputs of rank 1 or more") }
        let a2 = a.count == 1 ? [1] + a : a
        let b2 = b.count == 1 ? b + [1] : b
        let k1 = a2[a2.count - 1]
        let k2 = b2[b2.count - 2]
        if let x = k1.value, let y = k2.value, x != y {
            throw .init("A \(a.shapeDescription) has \(x) columns, B \(b.shapeDescription) has \(y) rows")
        }
        let batch = try broadcast(Array(a2.dropLast(2)), Array(b2.dropLast(2)))
        var out = batch
        if a.count > 1 { out.append(a2[a2.count - 2]) }
        if b.count > 1 { out.append(b2[b2.count - 1]) }
        return out
    }

    static func normalizedAxes(_ axes: [Int], rank: Int) throws(GraphShapeError) -> Set<Int> {
        if axes.isEmpty { return Set(0..<rank) }
        var out = Set<Int>()
        for axis in axes {
            guard (-rank..<rank).contains(axis) else { throw .init("axis \(axis) is outside [-\(rank), \(rank - 1)]") }
            out.insert(axis < 0 ? axis + rank : axis)
        }
        return out
    }

    static func product<C: Collection>(_ dims: C) -> Dimension where C.Element == Dimension {
        var p = 1
        for d in dims {
            guard let v = d.value else { return .unknown }
            p *= v
        }
        return .fixed(p)
    }

    static func add(_ a: Dimension, _ b: Dimension) -> Dimension {
        guard let x = a.value, let y = b.value else { return .unknown }
        return .fixed(x + y)
    }

    static func reshapeShape(_ x: [Dimension], _ shape: [Int], allowZero: Bool) throws(GraphShapeError) -> [Dimension] {
        var out: [Dimension] = []
        var inferred: Int? = nil
        for (i, s) in shape.enumerated() {
            switch s {
            case -1:
                guard inferred == nil else { throw .init("shape \(shape) has more than one -1") }
                inferred = i
                out.append(.unknown)
            case 0 where !allowZero:
                guard i < x.count else { throw .init("shape \(shape) copies dimension \(i), but the input has rank \(x.count)") }
                out.append(x[i])
            case let v where v >= 0:
                out.append(.fixed(v))
            default:
                throw .init("shape \(shape) has the invalid value \(s)")
            }
        }
        let total = product(x)
        if let i = inferred {
            let known = product(out.enumerated().filter { $0.offset != i }.map(\.element))
            if let t = total.value, let k = known.value {
                guard k > 0, t % k == 0 else { throw .init("cannot reshape \(x.shapeDescription) to \(shape)") }
                out[i] = .fixed(t / k)
            }
        } else if let t = total.value, let n = product(out).value, t != n {
            throw .init("cannot reshape \(x.shapeDescription) (\(t) elements) to \(shape) (\(n) elements)")
        }
        return out
    }

    static func requireSameShape(_ a: [Dimension], _ b: [Dimension], _ what: String) throws(GraphShapeError) {
        guard a.count == b.count else { throw .init("\(what) has shape \(a.shapeDescription); expected \(b.shapeDescription)") }
        for (p, q) in zip(a, b) {
            if let x = p.value, let y = q.value, x != y {
                throw .init("\(what) has shape \(a.shapeDescription); expected \(b.shapeDescription)")
            }
        }
    }

    static func checkQuantizationParameters(
        _ x: TensorType, scale: TensorType, zeroPoint: TensorType?, axis: Int, node: Node
    ) throws(GraphShapeError) {
        guard scale.dtype == .float32 else { throw .init("scale '\(node.inputs[1])' is \(scale.dtype); expected float32") }
        if let zp = zeroPoint, zp.shape != scale.shape {
            throw .init("zero point has shape \(zp.shape.shapeDescription), scale has \(scale.shape.shapeDescription)")
        }
        let count = product(scale.shape).value
        if scale.rank == 0 || count == 1 { return }
        guard scale.rank == 1 else { throw .init("scale has shape \(scale.shape.shapeDescription); expected a scalar or a vector (blocked quantization is not supported)") }
        guard (-x.rank..<x.rank).contains(axis) else { throw .init("axis \(axis) is outside the input's \(x.rank) axes") }
        let k = axis < 0 ? axis + x.rank : axis
        if let n = x.shape[k].value, let c = count, n != c {
            throw .init("scale has \(c) values for axis \(k) of size \(n)")
        }
    }
}
