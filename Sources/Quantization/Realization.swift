import Graph
import Tensors

/// TVM's "realize" step, written as a standard QDQ graph: every int8 value `v` becomes
/// `DequantizeLinear(QuantizeLinear(v))` with its per-tensor scale (zero point 0), and every int8
/// convolution reads its weight as `DequantizeLinear(int8 weight, scale per output channel, axis 0)`
/// and its bias as `DequantizeLinear(int32 bias, input scale · weight scale)`.
///
/// The result is what ``ONNXExporter`` writes and ONNX Runtime or TensorRT run in int8; Q3D lowers it
/// to its own int8 operations with ``QDQLowering``. Value names survive: the dequantized value keeps
/// the float value's name, the int8 value is `v__q`.
public enum Realization {
    public static func realize(
        _ graph: Graph, annotation: Annotation, scales: [String: Float], weightScale: WeightScale
    ) throws(QuantizationError) -> Graph {
        var g = graph
        func scale(of value: String) throws(QuantizationError) -> Float {
            guard let s = scales[annotation.scaleSource(of: value)], s > 0, s.isFinite else {
                throw .invalidParameters(node: value, reason: "has no calibrated scale")
            }
            return s
        }
        let quantized = Set(annotation.quantizedNodes)
        let convs = g.nodes.filter { quantized.contains($0.name) && $0.operation.isConvolution }.map(\.name)
        for name in convs {
            guard let i = g.nodes.firstIndex(where: { $0.name == name }) else { continue }
            try quantizeWeights(&g, node: i, inputScale: try scale(of: g.nodes[i].inputs[0]), weightScale: weightScale)
        }
        for value in annotation.int8Values {
            let s = try scale(of: value)
            let scaleName = g.uniqueName("\(value)__scale")
            g.initializers[scaleName] = .scalar(s)
            let zeroName = g.uniqueName("\(value)__zero_point")
            g.initializers[zeroName] = .int8(Tensor(computedShape: [], elements: [0]))
            let q = "\(value)__q"
            if let p = g.producers[value] {
                let float = g.uniqueName("\(value)__float")
                g.nodes[p].outputs[0] = float
                g.nodes.insert(contentsOf: [
                    Node(name: "\(value)__quantize", .quantizeLinear(axis: 1), inputs: [float, scaleName, zeroName], outputs: [q]),
                    Node(name: "\(value)__dequantize", .dequantizeLinear(axis: 1), inputs: [q, scaleName, zeroName], outputs: [value]),
                ], at: p + 1)
            } else {
                let dq = g.uniqueName("\(value)__dq")
                g.replaceUses(of: value, with: dq)
                g.nodes.insert(contentsOf: [
                    Node(name: "\(value)__quantize", .quantizeLinear(axis: 1), inputs: [value, scaleName, zeroName], outputs: [q]),
                    Node(name: "\(value)__dequantize", .dequantizeLinear(axis: 1), inputs: [q, scaleName, zeroName], outputs: [dq]),
                ], at: 0)
            }
        }
        g.removeUnusedNodes()
        do { try g.inferTypes() } catch { throw .graph(error) }
        return g
    }

    /// Per output channel `k`: `s[k] = max |w[k]| / 127` (or the power of two at or above it),
    /// `w_q = round(w / s[k])`, and the bias in int32 at scale `inputScale · s[k]`.
    static func quantizeWeights(_ g: inout Graph, node i: Int, inputScale: Float, weightScale: WeightScale) throws(QuantizationError) {
        let node = g.nodes[i]
        guard let wName = node.input(1), let w = g.initializers[wName]?.float32Tensor, let k = w.shape.first, k > 0 else {
            throw .invalidParameters(node: node.name, reason: "weight is not a float constant")
        }
        let perChannel = w.count / k
        var scales = [Float](repeating: 1, count: k)
        var q = [Int8](repeating: 0, count: w.count)
        for c in 0..<k {
            let slice = w.elements[(c * perChannel)..<((c + 1) * perChannel)]
            let m = slice.reduce(Float(0)) { max($0, abs($1)) }
            var s = m > 0 ? m / 127 : 1
            if weightScale == .powerOfTwo { s = Float(sign: .plus, exponent: Int(s.exponent) + (s.significand > 1 ? 1 : 0), significand: 1) }
            scales[c] = s
            for (j, v) in slice.enumerated() {
                q[c * perChannel + j] = Int8(max(-127, min(127, (v / s).rounded(.toNearestOrEven))))
            }
        }
        let base = node.name
        let qName = g.uniqueName("\(base)__weight_q")
        g.initializers[qName] = .int8(Tensor(computedShape: w.shape, elements: q))
        let sName = g.uniqueName("\(base)__weight_scale")
        g.initializers[sName] = .vector(scales)
        let zName = g.uniqueName("\(base)__weight_zero_point")
        g.initializers[zName] = .int8(Tensor(computedShape: [k], elements: Array(repeating: 0, count: k)))
        let wDq = g.uniqueName("\(base)__weight")
        var inserted = [Node(name: wDq, .dequantizeLinear(axis: 0), inputs: [qName, sName, zName], outputs: [wDq])]
        g.nodes[i].inputs[1] = wDq
        if let bName = node.input(2), let b = g.initializers[bName]?.float32Tensor, b.count == k {
            let bScales = scales.map { inputScale * $0 }
            let bq = (0..<k).map { c -> Int32 in
                let v = (b.elements[c] / bScales[c]).rounded(.toNearestOrEven)
                return Int32(max(-2_147_483_647, min(2_147_483_647, v)))
            }
            let bqName = g.uniqueName("\(base)__bias_q")
            g.initializers[bqName] = .int32(Tensor(computedShape: [k], elements: bq))
            let bsName = g.uniqueName("\(base)__bias_scale")
            g.initializers[bsName] = .vector(bScales)
            let bzName = g.uniqueName("\(base)__bias_zero_point")
            g.initializers[bzName] = .int32(Tensor(computedShape: [k], elements: Array(repeating: 0, count: k)))
            let bDq = g.uniqueName("\(base)__bias")
            inserted.append(Node(name: bDq, .dequantizeLinear(axis: 0), inputs: [bqName, bsName, bzName], outputs: [bDq]))
            g.nodes[i].inputs[2] = bDq
        }
        g.nodes.insert(contentsOf: inserted, at: i)
    }
}
