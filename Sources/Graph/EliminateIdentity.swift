/// Removes Identity nodes (and the Dropouts the importer turned into them): readers of the output read
/// the input instead. When the output is a graph output, the producer of the input writes it directly,
/// so graph output names never change.
public struct EliminateIdentity: GraphPass {
    public init() {}
    public var name: String { "eliminate-identity" }

    public func apply(to graph: Graph) throws(GraphError) -> Graph {
        var g = graph
        var i = 0
        while i < g.nodes.count {
            let node = g.nodes[i]
            guard node.operation == .identity, let x = node.input(0), let y = node.outputs.first else {
                i += 1
                continue
            }
            let outputs = g.outputNames
            if !outputs.contains(y) {
                g.nodes.remove(at: i)
                g.replaceUses(of: y, with: x)
            } else if !outputs.contains(x), let p = g.producers[x] {
                // The producer writes the graph output itself; everything that read x reads y.
                g.nodes.remove(at: i)
                for k in g.nodes[p].outputs.indices where g.nodes[p].outputs[k] == x { g.nodes[p].outputs[k] = y }
                g.replaceUses(of: x, with: y)
            } else {
                i += 1
            }
        }
        try g.inferTypes()
        return g
    }
}
