import ConvGeometry
import Graph
import ONNX

/// One convolution `q3d tune` tunes: a name for tables, its geometry and, from a model, the nodes
/// computing it and their share of the model's convolution FLOPs.
struct TuneTarget {
    var name: String
    var parameters: Conv3DParameters
    var nodes: [String] = []
    var flopShare: Double?
}

enum TuneTargets {
    /// The distinct convolutions of an ONNX model, largest FLOP share first.
    static func fromModel(_ path: String, batch: Int?) throws -> [TuneTarget] {
        let graph = try ONNXImporter.load(path: path)
        let workloads = try graph.convolutionWorkloads(batch: batch)
        guard !workloads.isEmpty else { throw ValidationErrorText("\(path) has no convolution to tune") }
        return workloads.map { w in
            let first = w.nodes.first ?? "conv"
            let name = w.nodes.count > 1 ? "\(first) (+\(w.nodes.count - 1))" : first
            return TuneTarget(name: name, parameters: w.parameters, nodes: w.nodes, flopShare: w.flopShare)
        }
    }

    /// A short name for a convolution given by flags: `c64k128d8h56w56k3s1`.
    static func shortName(_ p: Conv3DParameters) -> String {
        var name = "n\(p.batch)c\(p.inputChannels)k\(p.outputChannels)d\(p.input.depth)h\(p.input.height)w\(p.input.width)"
        name += "f\(p.kernel.depth)x\(p.kernel.height)x\(p.kernel.width)"
        if p.stride != Extent3(uniform: 1) { name += "s\(p.stride.depth)x\(p.stride.height)x\(p.stride.width)" }
        if p.groups > 1 { name += "g\(p.groups)" }
        return name
    }
}
