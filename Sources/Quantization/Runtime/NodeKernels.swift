import ConvGeometry
import Graph
import Tensors

/// Computes one node on the CPU: checks the inputs with the graph's own shape rules (so the output
/// shape is known before any kernel runs), then calls the kernel of the operation.
enum NodeKernels {
    /// Outputs larger than this are refused: only a corrupt model asks for them.
    static let maxElements = 1 << 31

    static func evaluate(_ node: Node, _ inputs: [AnyTensor?]) throws(ExecutionError) -> [AnyTensor] {
        let outTypes: [TensorType]
        do {
            outTypes = try node.outputTypes(inputs.map { $0?.type })
        } catch {
            throw .graph(error)
        }
        guard let outShape = outTypes.first?.shape.fixedValues,
            let count = Tensor<Float>.elementCount(of: outShape), count <= maxElements
        else {
            throw .at(node, "output shape \(outTypes.first?.shape.shapeDescription ?? "?") is too large")
        }
        func float(_ i: Int) throws(ExecutionError) -> Tensor<Float> {
            guard i < inputs.count, case .float32(let t)? = inputs[i] else { throw .at(node, "input \(i) is not float32") }
            return t
        }
        func int8(_ i: Int) throws(ExecutionError) -> Tensor<Int8> {
            guard i < inputs.count, case .int8(let t)? = inputs[i] else { throw .at(node, "input \(i) is not int8") }
            return t
        }
        func optionalFloat(_ i: Int) throws(ExecutionError) -> Tensor<Float>? {
            i < inputs.count && inputs[i] != nil ? try float(i) : nil
        }
        func out(_ v: [Float]) -> [AnyTensor] { [.float32(Tensor(computedShape: outShape, elements: v))] }
        func out8(_ v: [Int8]) -> [AnyTensor] { [.int8(Tensor(computedShape: outShape, elements: v))] }
        func convParameters(_ a: ConvAttributes, _ x: [Int], _ w: [Int]) throws(ExecutionError) -> Conv3DParameters {
            do { return try a.parameters(inputShape: x, weightShape: w) } catch { throw .at(node, error.message) }
        }
        func poolGeometry(_ p: PoolAttributes, _ x: [Int]) throws(ExecutionError) -> PoolGeometry {
            do { return try p.geometry(inputShape: x) } catch { throw .at(node, error.message) }
        }

        switch node.operation {
        case .conv(let a):
            let x = try float(0)
            let w = try float(1)
            let p = try convParameters(a, x.shape, w.shape)
            let residual = a.hasResidual ? try float(3).elements : nil
            return out(ConvolutionKernels.float(
                x: x, w: w, bias: try optionalFloat(2)?.elements, residual: residual, relu: a.activation == .relu, p: p))
        case .int8Conv(let a):
            let x = try int8(0)
            let w = try int8(1)
            let p = try convParameters(a.geometry, x.shape, w.shape)
            let residual = a.epilogue.residualScale != nil ? try int8(2).elements : nil
            return out8(ConvolutionKernels.int8(x: x, w: w, residual: residual, epilogue: a.epilogue, p: p))
        case .batchNormalization(let epsilon):
            let x = try float(0)
            return out(ElementwiseKernels.batchNormalization(
                x.elements, shape: x.shape, scale: try float(1).elements, bias: try float(2).elements,
                mean: try float(3).elements, variance: try float(4).elements, epsilon: epsilon))
        case .relu: return out(try float(0).elements.map { max($0, 0) })
        case .int8Relu: return out8(try int8(0).elements.map { max($0, 0) })
        case .sigmoid: return out(ElementwiseKernels.sigmoid(try float(0).elements))
        case let .clip(low, high): return out(try float(0).elements.map { min(max($0, low), high) })
        case .add, .mul:
            let a = try float(0)
            let b = try float(1)
            let isAdd = node.operation == .add
            return out(ElementwiseKernels.broadcast(a.elements, a.shape, b.elements, b.shape, to: outShape) { isAdd ? $0 + $1 : $0 * $1 })
        case .int8Add(let s):
            let a = try int8(0)
            let b = try int8(1)
            return out8(ElementwiseKernels.broadcast(a.elements, a.shape, b.elements, b.shape, to: outShape) {
                ElementwiseKernels.int8Add($0, $1, scaleA: s.scaleA, scaleB: s.scaleB, relu: s.relu)
            })
        case .maxPool(let p):
            let x = try float(0)
            return out(PoolingKernels.maxPool(x.elements, planes: x.shape[0] * x.shape[1], try poolGeometry(p, x.shape), lowest: -.infinity))
        case .int8MaxPool(let p):
            let x = try int8(0)
            return out8(PoolingKernels.maxPool(x.elements, planes: x.shape[0] * x.shape[1], try poolGeometry(p, x.shape), lowest: Int8.min))
        case .averagePool(let p):
            let x = try float(0)
            return out(PoolingKernels.averagePool(
                x.elements, planes: x.shape[0] * x.shape[1], try poolGeometry(p, x.shape), countIncludePad: p.countIncludePad))
        case .globalAveragePool:
            let x = try float(0)
            return out(PoolingKernels.globalAverage(x.elements, planes: x.shape[0] * x.shape[1], planeSize: x.shape.dropFirst(2).reduce(1, *)))
        case .int8AveragePool(let a):
            let x = try int8(0)
            let planes = x.shape[0] * x.shape[1]
            let values: [Float]
            switch a.window {
            case .local(let p):
                values = PoolingKernels.int8AveragePool(
                    x.elements, planes: planes, try poolGeometry(p, x.shape), countIncludePad: p.countIncludePad, scale: a.scale)
            case .global:
                values = PoolingKernels.int8GlobalAverage(x.elements, planes: planes, planeSize: x.shape.dropFirst(2).reduce(1, *), scale: a.scale)
            }
            return a.outputType == .int8 ? out8(values.map(Epilogue.saturate)) : out(values)
        case let .reduceMean(axes, _):
            let x = try float(0)
            let set = Set(axes.isEmpty ? Array(0..<x.rank) : axes.map { $0 < 0 ? $0 + x.rank : $0 })
            return out(TensorKernels.reduceMean(x.elements, shape: x.shape, axes: set))
        case .flatten, .reshape, .identity:
            guard let x = inputs.first ?? nil else { throw .at(node, "input is missing") }
            do { return [try x.reshaped(outShape)] } catch { throw .at(node, "\(error)") }
        case .gemm(let g):
            let a = try float(0)
            let b = try float(1)
            let (m, n) = (outShape[0], outShape[1])
            var c: [Float]? = nil
            if let ct = try optionalFloat(2) {
                c = ElementwiseKernels.broadcast(ct.elements, ct.shape, [Float](repeating: 0, count: m * n), [m, n], to: [m, n]) { x, _ in x }
            }
            return out(TensorKernels.gemm(
                a.elements, b.elements, c: c, m: m, n: n, k: g.transA ? a.shape[0] : a.shape[1],
                transA: g.transA, transB: g.transB, alpha: g.alpha, beta: g.beta))
        case .matMul:
            let a = try float(0)
            let b = try float(1)
            return out(TensorKernels.matMul(a.elements, a.shape, b.elements, b.shape, outShape: outShape))
        case .transpose(let given):
            guard let x = inputs.first ?? nil else { throw .at(node, "input is missing") }
            let perm = given.isEmpty ? Array((0..<x.shape.count).reversed()) : given
            return [x.transposed(perm: perm, into: outShape)]
        case .concat(let axis):
            let parts = inputs.compactMap { $0 }
            let k = axis < 0 ? axis + outShape.count : axis
            guard let first = parts.first, parts.allSatisfy({ $0.dtype == first.dtype }) else {
                throw .at(node, "inputs must share one element type")
            }
            return [first.concatenating(parts, into: outShape, axis: k)]
        case let .pad(pads, value):
            let x = try float(0)
            return out(TensorKernels.pad(x.elements, shape: x.shape, pads: pads, value: value, outShape: outShape))
        case .quantizeLinear(let axis):
            return [try QuantizeKernels.quantize(node, inputs, axis: axis, outShape: outShape)]
        case .dequantizeLinear(let axis):
            return [try QuantizeKernels.dequantize(node, inputs, axis: axis, outShape: outShape)]
        }
    }
}
