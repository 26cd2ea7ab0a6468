import ConvGeometry
import Graph
import Tensors

/// Turns the QDQ patterns of a graph into Q3D's int8 operations, so that int8 data flows between
/// layers instead of dequantized floats:
///
///     DQ(x) -> Conv(DQ(w), DQ(b) [, DQ(r)]) [-> Relu] -> Q   =>  Int8Conv(x, w [, r])  (Epilogue)
///     DQ(a), DQ(b) -> Add [-> Relu] -> Q                      =>  Int8Add(a, b)
///     DQ(x) -> MaxPool -> Q (same scale)                      =>  Int8MaxPool(x)
///     DQ(x) -> Relu -> Q (same scale)                         =>  Int8Relu(x)
///     DQ(x) -> AveragePool | GlobalAveragePool | ReduceMean -> Q  =>  Int8AveragePool(x)  (int8 out)
///     DQ(x) -> AveragePool | GlobalAveragePool | ReduceMean       =>  Int8AveragePool(x)  (float out)
///
/// Only symmetric int8 patterns are lowered: every zero point 0, activations per tensor, weights per
/// output channel (axis 0) or per tensor. Anything else — asymmetric or uint8 activations, as ONNX
/// Runtime's `quantize_static` writes by default — stays as it is and runs as ONNX defines QDQ:
/// float operations on dequantized values. Both ways compute the same model; the lowered one does
/// it with int8 data and int32 accumulators.
public enum QDQLowering {
    public static func lower(_ graph: Graph) throws(QuantizationError) -> Graph {
        var g = graph
        do { try g.inferTypes() } catch { throw .graph(error) }
        let view = QDQView(g)
        var replaced: [Int: Node] = [:]
        var removed = Set<Int>()
        for (i, node) in g.nodes.enumerated() where !removed.contains(i) {
            if let (n, absorbed) = try view.lower(node, at: i) {
                replaced[i] = n
                removed.formUnion(absorbed)
            }
        }
        g.nodes = g.nodes.indices.filter { !removed.contains($0) }.map { replaced[$0] ?? g.nodes[$0] }
        g.removeUnusedNodes()
        do { try g.inferTypes() } catch { throw .graph(error) }
        return g
    }
}

/// Read-only queries on a QDQ graph: which values are dequantized int8 tensors, which are read only by
/// a QuantizeLinear.
struct QDQView {
    let graph: Graph
    let producers: [String: Int]
    let consumers: [String: [Int]]
    let outputs: Set<String>

    init(_ graph: Graph) {
        self.graph = graph
        producers = graph.producers
        consumers = graph.consumers
        outputs = graph.outputNames
    }

    private func constant(_ name: String?) -> AnyTensor? { name.flatMap { graph.initializers[$0] } }

    /// `v = DequantizeLinear(source, scale, 0)` with `source` of `dtype`: the source, the scales and the axis.
    func dequantized(_ v: String?, dtype: DType) -> (source: String, scales: [Float], axis: Int)? {
        guard let v, let p = producers[v], case .dequantizeLinear(let axis) = graph.nodes[p].operation else { return nil }
        let dq = graph.nodes[p]
        guard let source = dq.input(0), graph.types[source]?.dtype == dtype,
            let scales = constant(dq.input(1))?.floatValues, !scales.isEmpty,
            scales.allSatisfy({ $0 > 0 && $0.isFinite })
        else { return nil }
        if let zp = dq.input(2) {
            guard let zeros = constant(zp)?.integerValues, zeros.allSatisfy({ $0 == 0 }) else { return nil }
        }
        return (source, scales, axis)
    }

    /// A per-tensor int8 activation: the int8 value and its scale.
    func activation(_ v: String?) -> (source: String, scale: Float)? {
        guard let d = dequantized(v, dtype: .int8), d.scales.count == 1 else { return nil }
        return (d.source, d.scales[0])
    }

    /// `v`'s only reader is a per-tensor, zero-point-0, int8 QuantizeLinear: its index, output and scale.
    func soleQuantize(of v: String) -> (index: Int, output: String, scale: Float)? {
        guard !outputs.contains(v), let readers = consumers[v], readers.count == 1 else { return nil }
        let q = graph.nodes[readers[0]]
        guard case .quantizeLinear = q.operation, q.input(0) == v, let out = q.outputs.first,
            let scale = constant(q.input(1))?.floatValues, scale.count == 1, scale[0] > 0, scale[0].isFinite,
            let zp = constant(q.input(2)), zp.dtype == .int8, zp.integerValues == [0]
        else { return nil }
        return (readers[0], out, scale[0])
    }

    /// `v`'s only reader is a Relu (not a graph output): its index and output.
    func soleRelu(of v: String) -> (index: Int, output: String)? {
        guard !outputs.contains(v), let readers = consumers[v], readers.count == 1,
            graph.nodes[readers[0]].operation == .relu, let out = graph.nodes[readers[0]].outputs.first
        else { return nil }
        return (readers[0], out)
    }

    /// The int8 replacement of `node` and the indices of the nodes it absorbs, or nil.
    func lower(_ node: Node, at i: Int) throws(QuantizationError) -> (Node, Set<Int>)? {
        guard let y = node.outputs.first else { return nil }
        switch node.operation {
        case .conv(let a):
            return try lowerConv(node, a, at: i)
        case .add:
            guard let lhs = activation(node.input(0)), let rhs = activation(node.input(1)) else { return nil }
            let relu = soleRelu(of: y)
            guard let q = soleQuantize(of: relu?.output ?? y) else { return nil }
            let absorbed: Set<Int> = relu.map { [$0.index, q.index] } ?? [q.index]
            let attrs = Int8AddAttributes(scaleA: lhs.scale / q.scale, scaleB: rhs.scale / q.scale, relu: relu != nil)
            return (Node(name: node.name, .int8Add(attrs), inputs: [lhs.source, rhs.source], outputs: [q.output]), absorbed)
        case .maxPool, .relu:
            // Both keep the input's scale: the output quantizer must repeat it for the int8 form to be exact.
            guard let x = activation(node.input(0)), let q = soleQuantize(of: y), q.scale == x.scale else { return nil }
            let op: Operator = if case .maxPool(let p) = node.operation { .int8MaxPool(p) } else { .int8Relu }
            return (Node(name: node.name, op, inputs: [x.source], outputs: [q.output]), [q.index])
        case .averagePool(let p):
            return lowerAverage(node, .local(p), at: i)
        case .globalAveragePool:
            return lowerAverage(node, .global(keepDims: true), at: i)
        case let .reduceMean(axes, keepDims):
            guard let x = node.input(0), let rank = graph.types[x]?.rank, rank >= 3,
                Set(axes.map { $0 < 0 ? $0 + rank : $0 }) == Set(2..<rank)
            else { return nil }
            return lowerAverage(node, .global(keepDims: keepDims), at: i)
        default:
            return nil
        }
    }

    private func lowerAverage(_ node: Node, _ window: Int8PoolAttributes.Window, at i: Int) -> (Node, Set<Int>)? {
        guard let x = activation(node.input(0)), let y = node.outputs.first else { return nil }
        if let q = soleQuantize(of: y) {
            let attrs = Int8PoolAttributes(window: window, scale: x.scale / q.scale, outputType: .int8)
            return (Node(name: node.name, .int8AveragePool(attrs), inputs: [x.source], outputs: [q.output]), [q.index])
        }
        let attrs = Int8PoolAttributes(window: window, scale: x.scale, outputType: .float32)
        return (Node(name: node.name, .int8AveragePool(attrs), inputs: [x.source], outputs: [y]), [])
    }

    private func lowerConv(_ node: Node, _ a: ConvAttributes, at i: Int) throws(QuantizationError) -> (Node, Set<Int>)? {
        guard let y = node.outputs.first, let x = activation(node.input(0)),
            let w = dequantized(node.input(1), dtype: .int8), let k = graph.types[w.source]?.shape.first?.value,
            w.scales.count == 1 || (w.scales.count == k && w.axis == 0)
        else { return nil }
        var absorbed = Set<Int>()
        var attrs = a
        var last = y
        if a.activation == .none, let relu = soleRelu(of: y) {
            attrs.activation = .relu
            last = relu.output
            absorbed.insert(relu.index)
        }
        guard let q = soleQuantize(of: last) else { return nil }
        absorbed.insert(q.index)
        let weightScales = w.scales.count == 1 ? Array(repeating: w.scales[0], count: k) : w.scales
        // The bias, in float: dequantized int32 (as ONNX computes it), or a float constant.
        var bias = [Float](repeating: 0, count: k)
        if let b = node.input(2) {
            if let d = dequantized(b, dtype: .int32), let values = constant(d.source)?.integerValues, values.count == k,
                d.scales.count == 1 || d.scales.count == k
            {
                bias = (0..<k).map { Float(values[$0]) * d.scales[d.scales.count == 1 ? 0 : $0] }
            } else if let values = constant(b)?.float32Tensor?.elements, values.count == k {
                bias = values
            } else {
                return nil
            }
        }
        var inputs = [x.source, w.source]
        var residualScale: Float? = nil
        if a.hasResidual {
            guard let r = activation(node.input(3)) else { return nil }
            inputs.append(r.source)
            residualScale = r.scale / q.scale
        }
        let epilogue = Epilogue(
            scale: weightScales.map { x.scale * $0 / q.scale }, bias: bias.map { $0 / q.scale },
            relu: attrs.activation == .relu, residualScale: residualScale)
        return (Node(name: node.name, .int8Conv(Int8ConvAttributes(geometry: attrs, epilogue: epilogue)), inputs: inputs, outputs: [q.output]), absorbed)
    }
}
