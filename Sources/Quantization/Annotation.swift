import Graph
import Tensors

/// What the quantizer decided to run in int8, before calibration: TVM's "annotate" step.
///
/// Convolutions with constant weights (and biases) run in int8 unless the options skip them; their
/// inputs and outputs become int8 values. Max pooling, ReLU, additions and average pooling (local,
/// global, or ReduceMean over all spatial axes) follow in int8 wherever their inputs are already int8.
/// An average pool's output stays int8 only when an int8 operation reads it; otherwise the pool
/// hands its int32 sum, rescaled once, straight to the float operations after it.
public struct Annotation: Sendable {
    /// The int8 operations, by node name, in graph order.
    public var quantizedNodes: [String]
    /// Values held in int8, in graph order.
    public var int8Values: [String]
    /// For values whose scale is their input's (after MaxPool and ReLU): value -> source value.
    public var sharedScale: [String: String]
    /// The convolutions kept in float by the options, by node name.
    public var skipped: [String]

    /// The values that need their own scale from calibration.
    public var calibratedValues: [String] { int8Values.filter { sharedScale[$0] == nil } }

    /// The value whose calibrated scale `value` uses.
    public func scaleSource(of value: String) -> String {
        var v = value
        while let s = sharedScale[v] { v = s }
        return v
    }

    /// Annotates a prepared float graph (see ``Quantizer/prepare(_:)``).
    public static func annotate(_ graph: Graph, options: QuantizationOptions) throws(QuantizationError) -> Annotation {
        var quantized = Set<String>()
        var int8 = Set<String>()
        var shared: [String: String] = [:]
        var skipped: [String] = []
        var convIndex = 0
        let skipNames = Set(options.skip.compactMap { if case .name(let n) = $0 { n } else { nil } })
        let skipIndices = Set(options.skip.compactMap { if case .index(let i) = $0 { i } else { nil } })
        let names = Set(graph.nodes.map(\.name))
        for name in skipNames where !names.contains(name) {
            throw .unknownLayer(name: name, convolutions: graph.nodes.filter { $0.operation.isConvolution }.map(\.name))
        }

        for node in graph.nodes {
            guard let y = node.outputs.first else { continue }
            func isInt8(_ i: Int) -> Bool { node.input(i).map { int8.contains($0) } ?? false }
            switch node.operation {
            case .conv(let a):
                defer { convIndex += 1 }
                if skipIndices.contains(convIndex) || skipNames.contains(node.name) {
                    skipped.append(node.name)
                    continue
                }
                let constantWeight = node.input(1).flatMap { graph.initializers[$0]?.float32Tensor } != nil
                let constantBias = node.input(2).map { graph.initializers[$0]?.float32Tensor != nil } ?? true
                guard constantWeight, constantBias, let x = node.input(0) else { continue }
                quantized.insert(node.name)
                int8.insert(x)
                if a.hasResidual, let r = node.input(3) { int8.insert(r) }
                int8.insert(y)
            case .maxPool, .relu:
                guard isInt8(0), let x = node.input(0) else { continue }
                quantized.insert(node.name)
                int8.insert(y)
                shared[y] = x
            case .add:
                guard isInt8(0), isInt8(1) else { continue }
                quantized.insert(node.name)
                int8.insert(y)
            case .averagePool, .globalAveragePool:
                guard isInt8(0) else { continue }
                quantized.insert(node.name)
                int8.insert(y)
            case .reduceMean(let axes, _):
                guard isInt8(0), let x = node.input(0), let rank = graph.types[x]?.rank, rank >= 3,
                    Set(axes.map { $0 < 0 ? $0 + rank : $0 }) == Set(2..<rank)
                else { continue }
                quantized.insert(node.name)
                int8.insert(y)
            default:
                continue
            }
        }
        // An average pool whose output no int8 operation reads hands it over in float.
        let consumers = graph.consumers
        for node in graph.nodes where quantized.contains(node.name) {
            switch node.operation {
            case .averagePool, .globalAveragePool, .reduceMean:
                let y = node.outputs[0]
                let readers = consumers[y] ?? []
                if !readers.contains(where: { quantized.contains(graph.nodes[$0].name) }) { int8.remove(y) }
            default: break
            }
        }
        // A graph input read by an int8 operation is quantized where it enters; nothing else changes.
        let order = graph.inputs.map(\.name) + graph.nodes.flatMap(\.outputs)
        return Annotation(
            quantizedNodes: graph.nodes.map(\.name).filter(quantized.contains),
            int8Values: order.filter(int8.contains), sharedScale: shared, skipped: skipped)
    }
}
