/// A transformation of a graph into an equivalent one. Each pass lives in its own file and returns a
/// verified graph.
public protocol GraphPass: Sendable {
    /// A short name for progress and error messages.
    var name: String { get }
    func apply(to graph: Graph) throws(GraphError) -> Graph
}

extension Graph {
    /// Replaces every read of value `old` by `new` (node inputs and graph outputs alike).
    mutating func replaceUses(of old: String, with new: String) {
        for i in nodes.indices {
            for j in nodes[i].inputs.indices where nodes[i].inputs[j] == old { nodes[i].inputs[j] = new }
        }
    }

    /// Runs `passes` in order.
    public func applying(_ passes: [any GraphPass]) throws(GraphError) -> Graph {
        var g = self
        for pass in passes { g = try pass.apply(to: g) }
        return g
    }
}
