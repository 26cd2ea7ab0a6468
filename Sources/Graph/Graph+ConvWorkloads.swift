import ConvGeometry

/// One distinct convolution of a graph: its geometry, the nodes that compute it and its share of the
/// graph's convolution FLOPs.
public struct GraphConvWorkload: Sendable, Equatable {
    public var parameters: Conv3DParameters
    /// The nodes with exactly this geometry, in graph order.
    public var nodes: [String]
    /// FLOPs of all these nodes over the FLOPs of every convolution of the graph.
    public var flopShare: Double
}

extension Graph {
    /// The distinct convolutions of the graph (1D and 2D ones lifted to 3D), largest total FLOPs first:
    /// what `q3d tune --model` tunes, in that order.
    ///
    /// `batch` replaces the first dimension of every convolution input; without it that dimension must
    /// be known. Throws a message naming the node whose shapes are not known.
    public func convolutionWorkloads(batch: Int? = nil) throws(GraphError) -> [GraphConvWorkload] {
        var graph = self
        if graph.types.isEmpty { try graph.inferTypes() }
        var order: [Conv3DParameters] = []
        var nodes: [Conv3DParameters: [String]] = [:]
        for node in graph.nodes {
            let attributes: ConvAttributes
            switch node.operation {
            case .conv(let a): attributes = a
            case .int8Conv(let a): attributes = a.geometry
            default: continue
            }
            func shape(_ i: Int, _ role: String, batchAxis: Bool) throws(GraphError) -> [Int] {
                guard let name = node.input(i), let type = graph.types[name] else {
                    throw .invalid(node, "the \(role) has no known type")
                }
                var dims: [Int] = []
                for (axis, dim) in type.shape.enumerated() {
                    if axis == 0 && batchAxis, let batch {
                        dims.append(batch)
                    } else if let value = dim.value {
                        dims.append(value)
                    } else {
                        let hint = axis == 0 && batchAxis ? "; give a batch" : ""
                        throw .invalid(node, "\(role) '\(name)' has the unknown dimension \(dim) at axis \(axis)\(hint)")
                    }
                }
                return dims
            }
            let inputShape = try shape(0, "input", batchAxis: true)
            let weightShape = try shape(1, "weight", batchAxis: false)
            let p: Conv3DParameters
            do {
                p = try attributes.parameters(inputShape: inputShape, weightShape: weightShape)
            } catch {
                throw .invalid(node, error.message)
            }
            if nodes[p] == nil { order.append(p) }
            nodes[p, default: []].append(node.name)
        }
        let total = order.reduce(0.0) { $0 + Double($1.flops * (nodes[$1]?.count ?? 0)) }
        let workloads = order.map { p in
            let names = nodes[p] ?? []
            return GraphConvWorkload(
                parameters: p, nodes: names, flopShare: total > 0 ? Double(p.flops * names.count) / total : 0)
        }
        // Ties keep graph order.
        return workloads.enumerated().sorted { ($1.element.flopShare, $0.offset) < ($0.element.flopShare, $1.offset) }
            .map(\.element)
    }
}
