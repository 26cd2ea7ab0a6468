import Tensors

/// Builds a graph in Swift, node by node; ``build()`` verifies it and infers every type.
///
/// Methods return the name of the value they define. Node names default to the operation and a
/// counter (`conv1`, `relu2`), and a node's output value takes the node's name.
///
/// ```swift
/// var b = GraphBuilder(name: "tiny")
/// let x = b.input("x", [.symbolic("N"), 3, 8, 16, 16])
/// let w = b.constant("w", .float32(try Tensor(shape: [8, 3, 3, 3, 3], repeating: 0.1)))
/// let y = b.conv(x, weight: w, kernel: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1])
/// let p = b.globalAveragePool(b.relu(y))
/// b.output(p)
/// let graph = try b.build()     // float32[N, 8, 1, 1, 1]
/// ```
public struct GraphBuilder {
    private var graph: Graph
    private var outputNames: [String] = []
    private var counters: [String: Int] = [:]

    public init(name: String) {
        graph = Graph(name: name, inputs: [], outputs: [], nodes: [])
    }

    /// Declares a graph input.
    @discardableResult
    public mutating func input(_ name: String, _ shape: [Dimension], dtype: DType = .float32) -> String {
        graph.inputs.append(ValueInfo(name, TensorType(dtype, shape)))
        return name
    }

    /// Adds an initializer (a weight, a scale, a shape) and returns its name.
    @discardableResult
    public mutating func constant(_ name: String, _ data: AnyTensor) -> String {
        graph.initializers[name] = data
        return name
    }

    /// Marks `value` as a graph output.
    public mutating func output(_ value: String) {
        outputNames.append(value)
    }

    /// Adds a node computing `operation` and returns its output's name.
    @discardableResult
    public mutating func node(_ operation: Operation, _ inputs: [String], name: String? = nil) -> String {
        let base = operation.typeName.split(separator: ".").last.map(String.init) ?? operation.typeName
        let nodeName = name ?? {
            let key = base.prefix(1).lowercased() + base.dropFirst()
            counters[key, default: 0] += 1
            return "\(key)\(counters[key] ?? 1)"
        }()
        graph.nodes.append(Node(name: nodeName, operation, inputs: inputs, outputs: [nodeName]))
        return nodeName
    }

    /// Verifies the graph and infers its types. Output types come from inference.
    public func build() throws(GraphError) -> Graph {
        var g = graph
        try g.inferTypes()
        var seen = Set<String>()
        for name in outputNames where seen.insert(name).inserted {
            guard let t = g.types[name] else { throw .undefinedOutput(value: name) }
            g.outputs.append(ValueInfo(name, t))
        }
        try g.inferTypes()
        return g
    }
}

extension GraphBuilder {
    /// A convolution over 1, 2 or 3 spatial axes (the weight's rank decides); see ``ConvAttributes``.
    public mutating func conv(
        _ x: String, weight: String, bias: String? = nil, kernel: [Int], strides: [Int]? = nil,
        dilations: [Int]? = nil, pads: [Int]? = nil, autoPad: AutoPad = .notSet, groups: Int = 1,
        name: String? = nil
    ) -> String {
        let a = ConvAttributes(
            kernel: kernel, strides: strides, dilations: dilations, pads: pads, autoPad: autoPad, groups: groups)
        return node(.conv(a), [x, weight] + (bias.map { [$0] } ?? []), name: name)
    }

    public mutating func batchNormalization(
        _ x: String, scale: String, bias: String, mean: String, variance: String, epsilon: Float = 1e-5,
        name: String? = nil
    ) -> String {
        node(.batchNormalization(epsilon: epsilon), [x, scale, bias, mean, variance], name: name)
    }

    public mutating func relu(_ x: String, name: String? = nil) -> String { node(.relu, [x], name: name) }
    public mutating func sigmoid(_ x: String, name: String? = nil) -> String { node(.sigmoid, [x], name: name) }
    public mutating func clip(_ x: String, min: Float, max: Float, name: String? = nil) -> String {
        node(.clip(min: min, max: max), [x], name: name)
    }
    public mutating func add(_ a: String, _ b: String, name: String? = nil) -> String { node(.add, [a, b], name: name) }
    public mutating func mul(_ a: String, _ b: String, name: String? = nil) -> String { node(.mul, [a, b], name: name) }

    public mutating func maxPool(
        _ x: String, kernel: [Int], strides: [Int]? = nil, pads: [Int]? = nil, ceilMode: Bool = false,
        name: String? = nil
    ) -> String {
        node(.maxPool(PoolAttributes(kernel: kernel, strides: strides, pads: pads, ceilMode: ceilMode)), [x], name: name)
    }

    public mutating func averagePool(
        _ x: String, kernel: [Int], strides: [Int]? = nil, pads: [Int]? = nil, countIncludePad: Bool = false,
        name: String? = nil
    ) -> String {
        let p = PoolAttributes(kernel: kernel, strides: strides, pads: pads, countIncludePad: countIncludePad)
        return node(.averagePool(p), [x], name: name)
    }

    public mutating func globalAveragePool(_ x: String, name: String? = nil) -> String {
        node(.globalAveragePool, [x], name: name)
    }

    public mutating func reduceMean(_ x: String, axes: [Int], keepDims: Bool = true, name: String? = nil) -> String {
        node(.reduceMean(axes: axes, keepDims: keepDims), [x], name: name)
    }

    public mutating func flatten(_ x: String, axis: Int = 1, name: String? = nil) -> String {
        node(.flatten(axis: axis), [x], name: name)
    }

    public mutating func reshape(_ x: String, to shape: [Int], name: String? = nil) -> String {
        node(.reshape(shape: shape, allowZero: false), [x], name: name)
    }

    public mutating func gemm(
        _ a: String, _ b: String, _ c: String? = nil, alpha: Float = 1, beta: Float = 1, transA: Bool = false,
        transB: Bool = false, name: String? = nil
    ) -> String {
        let g = GemmAttributes(alpha: alpha, beta: beta, transA: transA, transB: transB)
        return node(.gemm(g), [a, b] + (c.map { [$0] } ?? []), name: name)
    }

    public mutating func matMul(_ a: String, _ b: String, name: String? = nil) -> String {
        node(.matMul, [a, b], name: name)
    }

    public mutating func concat(_ values: [String], axis: Int, name: String? = nil) -> String {
        node(.concat(axis: axis), values, name: name)
    }

    public mutating func transpose(_ x: String, perm: [Int], name: String? = nil) -> String {
        node(.transpose(perm: perm), [x], name: name)
    }

    public mutating func pad(_ x: String, pads: [Int], value: Float = 0, name: String? = nil) -> String {
        node(.pad(pads: pads, value: value), [x], name: name)
    }

    public mutating func identity(_ x: String, name: String? = nil) -> String { node(.identity, [x], name: name) }

    /// `QuantizeLinear(x, scale, zeroPoint)`; `scale` and `zeroPoint` name initializers.
    public mutating func quantize(_ x: String, scale: String, zeroPoint: String, axis: Int = 1, name: String? = nil) -> String {
        node(.quantizeLinear(axis: axis), [x, scale, zeroPoint], name: name)
    }

    /// `DequantizeLinear(x, scale, zeroPoint)`.
    public mutating func dequantize(_ x: String, scale: String, zeroPoint: String, axis: Int = 1, name: String? = nil) -> String {
        node(.dequantizeLinear(axis: axis), [x, scale, zeroPoint], name: name)
    }
}
