import Tensors

/// The output types of one node from its input types: the rules of each operation, checked with
/// messages that name the node and the values. A dimension that depends on an unknown one stays unknown.
enum ShapeInference {
    static func outputTypes(_ node: Node, _ inputs: [TensorType?]) throws(GraphError) -> [TensorType] {
        do {
            return try rule(node, inputs)
        } catch {
            throw GraphError.invalid(node, error.message)
        }
    }

    private static func rule(_ node: Node, _ inputs: [TensorType?]) throws(GraphShapeError) -> [TensorType] {
        func input(_ i: Int, _ role: String) throws(GraphShapeError) -> TensorType {
            guard i < inputs.count, let t = inputs[i] else { throw .init("input \(role) is missing") }
            return t
        }
        func float(_ i: Int, _ role: String) throws(GraphShapeError) -> TensorType {
            let t = try input(i, role)
            guard t.dtype == .float32 else { throw .init("input \(role) '\(node.inputs[i])' is \(t.dtype); expected float32") }
            return t
        }
        func int8(_ i: Int, _ role: String) throws(GraphShapeError) -> TensorType {
            let t = try input(i, role)
            guard t.dtype == .int8 else { throw .init("input \(role) '\(node.inputs[i])' is \(t.dtype); expected int8") }
            return t
        }
        switch node.operation {
        case .conv(let a):
            let x = try float(0, "x")
            let w = try float(1, "weight")
            let out = try convOutput(a, x: x.shape, w: w.shape)
            if let b = inputs.count > 2 ? inputs[2] : nil {
                guard b.dtype == .float32, b.shape.count == 1, b.shape[0] == out[1] || b.shape[0].value == nil else {
                    throw .init("bias '\(node.inputs[2])' is \(b); expected float32[\(out[1])]")
                }
            }
            if a.hasResidual {
                let r = try float(3, "residual")
                try requireSameShape(r.shape, out, "residual '\(node.inputs[3])'")
            }
            return [TensorType(.float32, out, layout: x.layout)]
        case .batchNormalization:
            let x = try float(0, "x")
            guard x.rank >= 2 else { throw .init("input has rank \(x.rank); expected at least 2") }
            for (i, role) in [(1, "scale"), (2, "bias"), (3, "mean"), (4, "variance")] {
                let p = try float(i, role)
                guard p.shape.count == 1, p.shape[0] == x.shape[1] || x.shape[1].value == nil else {
                    throw .init("\(role) '\(node.inputs[i])' has shape \(p.shape.shapeDescription); expected [\(x.shape[1])]")
                }
            }
            return [x]
        case .relu, .sigmoid, .clip:
            return [try float(0, "x")]
        case .identity:
            return [try input(0, "x")]
        case .add, .mul, .matMul:
            let a = try float(0, "A")
            let b = try float(1, "B")
            if node.operation == .matMul { return [TensorType(.float32, try matMulShape(a.shape, b.shape))] }
            return [TensorType(.float32, try broadcast(a.shape, b.shape), layout: a.rank >= b.rank ? a.layout : b.layout)]
        case .maxPool(let p), .averagePool(let p):
            let x = try float(0, "x")
            return [TensorType(.float32, try poolOutput(p, x.shape), layout: x.layout)]
        case .int8MaxPool(let p):
            let x = try int8(0, "x")
            return [TensorType(.int8, try poolOutput(p, x.shape), layout: x.layout)]
        case .globalAveragePool:
            let x = try float(0, "x")
            guard x.rank >= 3 else { throw .init("input has rank \(x.rank); expected at least 3") }
            return [TensorType(.float32, Array(x.shape.prefix(2)) + Array(repeating: 1, count: x.rank - 2), layout: x.layout)]
        case let .reduceMean(axes, keepDims):
            let x = try float(0, "x")
            let set = try normalizedAxes(axes, rank: x.rank)
            var out: [Dimension] = []
            for (i, d) in x.shape.enumerated() {
                if set.contains(i) { if keepDims { out.append(1) } } else { out.append(d) }
            }
            return [TensorType(.float32, out)]
        case .flatten(let axis):
            let x = try input(0, "x")
            guard (-x.rank...x.rank).contains(axis) else { throw .init("axis \(axis) is outside [-\(x.rank), \(x.rank)]") }
            let k = axis < 0 ? axis + x.rank : axis
            return [TensorType(x.dtype, [product(x.shape[0..<k]), product(x.shape[k...])])]
        case let .reshape(shape, allowZero):
            let x = try input(0, "x")
            return [TensorType(x.dtype, try reshapeShape(x.shape, shape, allowZero: allowZero))]
        case .gemm(let g):
            let a = try float(0, "A")
            let b = try float(1, "B")
            guard a.rank == 2, b.rank == 2 else { throw .init("A is \(a.shape.shapeDescription) and B is \(b.shape.shapeDescription); Gemm expects two matrices") }
            let (m, ka) = g.transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
            let (kb, n) = g.transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
            if let x = ka.value, let y = kb.value, x != y { throw .init("A has \(x) columns, B has \(y) rows") }
            if inputs.count > 2, let c = inputs[2] { _ = try broadcast(c.shape, [m, n], into: true) }
            return [TensorType(.float32, [m, n])]
        case .concat(let axis):
            let types = inputs.compactMap { $0 }
            guard let first = types.first, types.count == node.inputs.count else { throw .init("Concat needs at least one input and no empty names") }
            let k = try normalizedAxes([axis], rank: first.rank).first ?? 0
            var out = first.shape
            for t in types.dropFirst() {
                guard t.rank == first.rank, t.dtype == first.dtype else { throw .init("inputs are \(first) and \(t); expected one element type and rank") }
                for i in 0..<t.rank where i != k {
                    if let p = out[i].value, let q = t.shape[i].value, p != q { throw .init("inputs differ in dimension \(i): \(p) and \(q)") }
                }
                out[k] = add(out[k], t.shape[k])
            }
            return [TensorType(first.dtype, out, layout: first.layout)]
        case .transpose(let given):
            let x = try input(0, "x")
            let perm = given.isEmpty ? Array((0..<x.rank).reversed()) : given
            guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else { throw .init("perm \(perm) is not a permutation of the \(x.rank) axes") }
            return [TensorType(x.dtype, perm.map { x.shape[$0] })]
        case let .pad(pads, _):
            let x = try input(0, "x")
            guard pads.count == 2 * x.rank else { throw .init("pads has \(pads.count) values; the \(x.rank)-axis input needs \(2 * x.rank)") }
            var out: [Dimension] = []
            for (i, d) in x.shape.enumerated() {
                guard let v = d.value else { out.append(.unknown); continue }
                let n = v + pads[i] + pads[i + x.rank]
                guard n >= 0 else { throw .init("pads \(pads) make axis \(i) of size \(v) negative") }
                out.append(.fixed(n))
            }
            return [TensorType(x.dtype, out, layout: x.layout)]
        case .quantizeLinear(let axis):
            let x = try float(0, "x")
            try checkQuantizationParameters(x, scale: try input(1, "scale"), zeroPoint: inputs.count > 2 ? inputs[2] : nil, axis: axis, node: node)
            let dtype = (inputs.count > 2 ? inputs[2]?.dtype : nil) ?? .uint8
            guard dtype == .int8 || dtype == .uint8 else { throw .init("zero point is \(dtype); Q3D quantizes to int8 or uint8") }
            return [TensorType(dtype, x.shape, layout: x.layout)]
        case .dequantizeLinear(let axis):
            let x = try input(0, "x")
            guard [.int8, .uint8, .int32].contains(x.dtype) else { throw .init("input '\(node.inputs[0])' is \(x.dtype); expected int8, uint8 or int32") }
            let zp = inputs.count > 2 ? inputs[2] : nil
            if let zp, zp.dtype != x.dtype { throw .init("zero point is \(zp.dtype) but the input is \(x.dtype)") }
            try checkQuantizationParameters(x, scale: try input(1, "scale"), zeroPoint: zp, axis: axis, node: node)
            return [TensorType(.float32, x.shape, layout: x.layout)]
        case .int8Conv(let a):
            let x = try int8(0, "x")
            let w = try int8(1, "weight")
            let out = try convOutput(a.geometry, x: x.shape, w: w.shape)
            if let k = out[1].value, a.epilogue.scale.count != k || a.epilogue.bias.count != k {
                throw .init("epilogue has \(a.epilogue.scale.count) scales and \(a.epilogue.bias.count) biases for \(k) output channels")
            }
            if a.epilogue.residualScale != nil {
                let r = try int8(2, "residual")
                try requireSameShape(r.shape, out, "residual '\(node.inputs[2])'")
            }
            return [TensorType(.int8, out, layout: x.layout)]
        case .int8Add:
            let a = try int8(0, "A")
            let b = try int8(1, "B")
            return [TensorType(.int8, try broadcast(a.shape, b.shape), layout: a.layout)]
        case .int8AveragePool(let p):
            let x = try int8(0, "x")
            guard p.outputType == .int8 || p.outputType == .float32 else { throw .init("output type \(p.outputType); expected int8 or float32") }
            switch p.window {
            case .local(let window):
                return [TensorType(p.outputType, try poolOutput(window, x.shape), layout: x.layout)]
            case .global(let keepDims):
                guard x.rank >= 3 else { throw .init("input has rank \(x.rank); expected at least 3") }
                let ones: [Dimension] = keepDims ? Array(repeating: 1, count: x.rank - 2) : []
                return [TensorType(p.outputType, Array(x.shape.prefix(2)) + ones)]
            }
        case .int8Relu:
            return [try int8(0, "x")]
        }
    }
}
