import Tensors

/// Folds a BatchNormalization into the convolution before it, when the convolution's weight, bias and
/// the normalization's parameters are constants and nothing else reads the convolution's output:
///
///     w'[k] = w[k] · γ[k] / sqrt(σ²[k] + ε)
///     b'[k] = (b[k] - μ[k]) · γ[k] / sqrt(σ²[k] + ε) + β[k]
///
/// Exact up to float rounding; PyTorch exports leave these pairs in every ResNet-style network, and
/// an int8 convolution cannot follow them with a float normalization.
public struct FoldBatchNorm: GraphPass {
    public init() {}
    public var name: String { "fold-batchnorm" }

    public func apply(to graph: Graph) throws(GraphError) -> Graph {
        var g = graph
        var index = 0
        while index < g.nodes.count {
            defer { index += 1 }
            let bn = g.nodes[index]
            guard case .batchNormalization(let epsilon) = bn.operation, let x = bn.input(0),
                let p = g.producers[x], case .conv(let attributes) = g.nodes[p].operation,
                !attributes.hasResidual, attributes.activation == .none,
                g.consumers[x]?.count == 1, !g.outputNames.contains(x)
            else { continue }
            let conv = g.nodes[p]
            guard let weight = conv.input(1).flatMap({ g.initializers[$0]?.float32Tensor }) else { continue }
            let params = (1...4).map { bn.input($0).flatMap { g.initializers[$0]?.float32Tensor } }
            guard let gamma = params[0], let beta = params[1], let mean = params[2], let variance = params[3] else {
                continue
            }
            let k = weight.shape[0]
            guard [gamma, beta, mean, variance].allSatisfy({ $0.count == k }) else {
                throw .invalid(bn, "parameters have \(gamma.count), \(beta.count), \(mean.count), \(variance.count) values for \(k) channels of '\(x)'")
            }
            var bias = Array(repeating: Float(0), count: k)
            if let b = conv.input(2) {
                guard let t = g.initializers[b]?.float32Tensor else { continue }
                bias = t.elements
            }
            let perChannel = weight.count / max(k, 1)
            var w = weight.elements
            var newBias = bias
            for c in 0..<k {
                let factor = gamma.elements[c] / (variance.elements[c] + epsilon).squareRoot()
                for j in 0..<perChannel { w[c * perChannel + j] *= factor }
                newBias[c] = (bias[c] - mean.elements[c]) * factor + beta.elements[c]
            }
            let wName = g.uniqueName("\(conv.name)_folded_weight")
            g.initializers[wName] = .float32(Tensor(computedShape: weight.shape, elements: w))
            let bName = g.uniqueName("\(conv.name)_folded_bias")
            g.initializers[bName] = .float32(Tensor(computedShape: [k], elements: newBias))
            var fused = conv
            fused.inputs = [conv.inputs[0], wName, bName]
            fused.outputs = bn.outputs
            g.nodes[p] = fused
            g.nodes.remove(at: index)
            index -= 1
        }
        g.removeUnusedNodes()
        try g.inferTypes()
        return g
    }
}
