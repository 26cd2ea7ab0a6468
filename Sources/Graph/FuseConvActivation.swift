/// Fuses what follows a float convolution into it, as the int8 epilogue will compute it:
///
///     Conv -> Relu                     =>  Conv(activation: relu)
///     Conv -> Add(·, r) [-> Relu]      =>  Conv(residual: r [, activation: relu])
///
/// A node is absorbed only when the convolution's output has no other reader and is not a graph
/// output; the residual must have the convolution's output shape exactly (no broadcasting). The fused
/// node takes the last absorbed node's place and output name, so everything the residual needs is
/// computed before it.
public struct FuseConvActivation: GraphPass {
    public init() {}
    public var name: String { "fuse-conv-activation" }

    public func apply(to graph: Graph) throws(GraphError) -> Graph {
        var g = graph
        var i = 0
        while i < g.nodes.count {
            if !fuseNext(in: &g, conv: i) { i += 1 }
        }
        try g.inferTypes()
        return g
    }

    /// Absorbs one node into the convolution at `index`; false when there is none to absorb.
    private func fuseNext(in g: inout Graph, conv index: Int) -> Bool {
        guard case .conv(var a) = g.nodes[index].operation, a.activation == .none,
            let y = g.nodes[index].outputs.first, !g.outputNames.contains(y),
            let readers = g.consumers[y], readers.count == 1
        else { return false }
        let next = g.nodes[readers[0]]
        switch next.operation {
        case .relu:
            a.activation = .relu
        case .add where !a.hasResidual:
            guard next.inputs.count == 2, next.inputs[0] != next.inputs[1] else { return false }
            let other = next.inputs[0] == y ? next.inputs[1] : next.inputs[0]
            guard let t = g.types[other], let u = g.types[y], t.shape == u.shape, !u.shape.contains(.unknown) else {
                return false
            }
            a.hasResidual = true
            var inputs = g.nodes[index].inputs
            while inputs.count < 3 { inputs.append("") }
            g.nodes[index].inputs = inputs + [other]
        default:
            return false
        }
        var fused = g.nodes[index]
        fused.operation = .conv(a)
        fused.outputs = next.outputs
        g.nodes[readers[0]] = fused
        g.nodes.remove(at: index)
        return true
    }
}
