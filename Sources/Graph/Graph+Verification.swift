/// Structural checks and type inference: every value is defined once, before it is read; every node's
/// inputs fit its operation; graph outputs are what the nodes compute.
extension Graph {
    /// Verifies the graph and infers the type of every value into ``types``.
    ///
    /// Throws ``GraphError`` naming the first node or value at fault. Declared output types are
    /// refined with what inference knows (a declared symbolic dimension stays when inference cannot
    /// tell it), and must not contradict it.
    public mutating func inferTypes() throws(GraphError) {
        var types: [String: TensorType] = [:]
        for input in inputs {
            guard types[input.name] == nil else { throw .duplicateValue(value: input.name, node: "(graph input)") }
            types[input.name] = input.type
        }
        for (name, data) in initializers {
            guard types[name] == nil else { throw .duplicateValue(value: name, node: "(initializer)") }
            types[name] = data.type
        }
        for node in nodes {
            var inputTypes: [TensorType?] = []
            for name in node.inputs {
                if name.isEmpty { inputTypes.append(nil); continue }
                guard let t = types[name] else {
                    throw .undefinedValue(node: node.name, op: node.operation.typeName, value: name)
                }
                inputTypes.append(t)
            }
            let outputTypes = try ShapeInference.outputTypes(node, inputTypes)
            guard node.outputs.count == outputTypes.count, !node.outputs.contains("") else {
                throw .invalid(node, "has outputs \(node.outputs); \(node.operation.typeName) defines \(outputTypes.count) named output\(outputTypes.count == 1 ? "" : "s")")
            }
            for (name, t) in zip(node.outputs, outputTypes) {
                guard types[name] == nil else { throw .duplicateValue(value: name, node: node.name) }
                types[name] = t
            }
        }
        for (i, output) in outputs.enumerated() {
            guard let inferred = types[output.name] else { throw .undefinedOutput(value: output.name) }
            outputs[i].type = try Self.refine(output, with: inferred)
            types[output.name] = outputs[i].type
        }
        self.types = types
    }

    /// The graph with its types inferred; see ``inferTypes()``.
    public func verified() throws(GraphError) -> Graph {
        var g = self
        try g.inferTypes()
        return g
    }

    private static func refine(_ declared: ValueInfo, with inferred: TensorType) throws(GraphError) -> TensorType {
        // An output declared with no shape at all (rank 0 and no dims) takes the inferred one.
        if declared.type.shape.isEmpty && inferred.rank > 0 { return inferred }
        let mismatch = GraphError.outputTypeMismatch(
            value: declared.name, declared: declared.type.description, inferred: inferred.description)
        guard declared.type.dtype == inferred.dtype, declared.type.rank == inferred.rank else { throw mismatch }
        var shape = inferred.shape
        for (i, (d, s)) in zip(declared.type.shape, inferred.shape).enumerated() {
            switch (d.value, s.value) {
            case let (x?, y?) where x != y: throw mismatch
            case (_?, nil): shape[i] = d
            case (nil, nil): shape[i] = d
            default: break
            }
        }
        return TensorType(inferred.dtype, shape, layout: inferred.layout ?? declared.type.layout)
    }

    /// Puts the nodes in an order where each follows the nodes it reads from, keeping the given order
    /// wherever it already allows. Throws ``GraphError/cycle(nodes:)`` naming the nodes left over.
    public mutating func sortTopologically() throws(GraphError) {
        let producers = self.producers
        var pending = Array(repeating: 0, count: nodes.count)
        var dependents = Array(repeating: [Int](), count: nodes.count)
        for (i, node) in nodes.enumerated() {
            for input in Set(node.inputs) where !input.isEmpty {
                if let p = producers[input], p != i {
                    pending[i] += 1
                    dependents[p].append(i)
                } else if producers[input] == i {
                    throw .cycle(nodes: [node.name])
                }
            }
        }
        // Always take the earliest ready node, so an already sorted graph stays as it is.
        var ready = Set((0..<nodes.count).filter { pending[$0] == 0 })
        var order: [Int] = []
        while let next = ready.min() {
            ready.remove(next)
            order.append(next)
            for d in dependents[next] {
                pending[d] -= 1
                if pending[d] == 0 { ready.insert(d) }
            }
        }
        guard order.count == nodes.count else {
            let done = Set(order)
            throw .cycle(nodes: nodes.indices.filter { !done.contains($0) }.map { nodes[$0].name })
        }
        nodes = order.map { nodes[$0] }
    }

    /// Drops nodes whose outputs no node and no graph output reads, and initializers nothing reads.
    public mutating func removeUnusedNodes() {
        var live = outputNames
        var keep = Array(repeating: false, count: nodes.count)
        for i in nodes.indices.reversed() where nodes[i].outputs.contains(where: live.contains) {
            keep[i] = true
            live.formUnion(nodes[i].inputs)
        }
        nodes = nodes.indices.filter { keep[$0] }.map { nodes[$0] }
        initializers = initializers.filter { live.contains($0.key) }
        let inputNames = Set(inputs.map(\.name))
        let defined = Set(nodes.flatMap(\.outputs))
        types = types.filter { live.contains($0.key) || defined.contains($0.key) || inputNames.contains($0.key) }
    }
}
