import Graph
import Tensors

/// Post-training int8 quantization of a float model: prepare, annotate, calibrate, realize, lower.
///
/// ```swift
/// let graph = try ONNXImporter.load(path: "model.onnx")
/// let clips = try NPY.read(path: "clips.npy")                        // [N, 3, 16, 112, 112]
/// let batches = try Batches.split(clips, for: graph, batchSize: 8)
/// let model = try Quantizer(options: .init(calibration: .mse)).quantize(graph, calibration: batches) { done, total in }
/// let report = try AccuracyReport.measure(model, on: batches)        // per-layer SQNR, output SQNR, top-1
/// try ONNXExporter.write(model.qdq, to: "model.int8.onnx")           // standard QDQ ONNX
/// let logits = try CPUExecutor(model.int8).run(batches[0])           // int8 on the CPU
/// ```
///
/// What comes out is symmetric: int8 weights per output channel, int8 activations per tensor (zero
/// point 0), int32 biases at the input scale times the weight scale, requantization through
/// ``Epilogue``; int8 data stays int8 between layers, pools sum in int32 and rescale once, and values
/// are dequantized only where a float operation reads them. See ``QuantizationOptions`` for the
/// defaults and why.
public struct Quantizer: Sendable {
    public var options: QuantizationOptions

    public init(options: QuantizationOptions = QuantizationOptions()) {
        self.options = options
    }

    /// The float graph quantization works on: Identity and Dropout removed, constants folded,
    /// BatchNormalization folded into convolutions, and convolution + bias + ReLU (+ residual Add) fused.
    public static func prepare(_ graph: Graph) throws(QuantizationError) -> Graph {
        do {
            return try graph.applying([
                EliminateIdentity(), FoldConstants(evaluate: CPUExecutor.evaluate), FoldBatchNorm(), FuseConvActivation(),
            ])
        } catch {
            throw .graph(error)
        }
    }

    /// A model as `q3d run` executes it: prepared (see ``prepare(_:)``), with any symmetric int8 QDQ
    /// patterns — Q3D's own exports among them — lowered to int8 operations. Float models come back
    /// prepared; QDQ patterns Q3D does not lower run as ONNX defines them.
    ///
    /// ```swift
    /// let graph = try Quantizer.executable(try ONNXImporter.load(path: "model.int8.onnx"))
    /// let y = try CPUExecutor(graph).run(x)
    /// ```
    public static func executable(_ graph: Graph) throws(QuantizationError) -> Graph {
        try QDQLowering.lower(try prepare(graph))
    }

    /// Quantizes `graph` for a single-input model; each element of `calibration` is one batch of that input.
    public func quantize(
        _ graph: Graph, calibration: [AnyTensor], progress: ((Int, Int) -> Void)? = nil
    ) throws(QuantizationError) -> QuantizedModel {
        guard graph.inputs.count == 1 else {
            throw .badBatch(index: 0, reason: "the model has \(graph.inputs.count) inputs; pass named feeds")
        }
        let name = graph.inputs[0].name
        return try quantize(graph, feeds: calibration.map { [name: $0] }, progress: progress)
    }

    /// Quantizes a single-input float model from float batches.
    public func quantize(
        _ graph: Graph, calibration: [Tensor<Float>], progress: ((Int, Int) -> Void)? = nil
    ) throws(QuantizationError) -> QuantizedModel {
        try quantize(graph, calibration: calibration.map { AnyTensor.float32($0) }, progress: progress)
    }

    /// Quantizes `graph`; each element of `feeds` holds one batch of every graph input.
    public func quantize(
        _ graph: Graph, feeds: [[String: AnyTensor]], progress: ((Int, Int) -> Void)? = nil
    ) throws(QuantizationError) -> QuantizedModel {
        guard !feeds.isEmpty else { throw .noCalibrationData }
        let prepared = try Self.prepare(graph)
        let annotation = try Annotation.annotate(prepared, options: options)
        let histograms = try Calibration.histograms(
            prepared, values: annotation.calibratedValues, feeds: feeds, bins: options.histogramBins, progress: progress)
        var scales: [String: Float] = [:]
        for value in annotation.int8Values {
            let source = annotation.scaleSource(of: value)
            let threshold = histograms[source].map { ThresholdSelection.threshold($0, method: options.calibration) } ?? 0
            // A value that was zero on every calibration input keeps a harmless unit range.
            scales[value] = threshold > 0 && threshold.isFinite ? threshold / Float(ThresholdSelection.levels) : 1 / 127
        }
        let qdq = try Realization.realize(prepared, annotation: annotation, scales: scales, weightScale: options.weightScale)
        let int8 = try QDQLowering.lower(qdq)
        let layers = annotation.quantizedNodes.compactMap { name -> QuantizedLayer? in
            guard let node = prepared.nodes.first(where: { $0.name == name }), let y = node.outputs.first else { return nil }
            let isInt8 = annotation.int8Values.contains(y)
            return QuantizedLayer(
                name: name, operation: node.operation.typeName, floatValue: y, quantizedValue: isInt8 ? "\(y)__q" : y,
                scale: isInt8 ? scales[y] : nil)
        }
        return QuantizedModel(
            float: prepared, qdq: qdq, int8: int8, annotation: annotation, scales: scales, layers: layers, options: options)
    }
}

/// A quantized model in its three forms, with what the quantizer decided.
public struct QuantizedModel: Sendable {
    /// The prepared float graph that was calibrated (BatchNorm folded, activations fused).
    public var float: Graph
    /// The QDQ graph: standard ONNX operators, for ``ONNXExporter``.
    public var qdq: Graph
    /// The QDQ graph lowered to Q3D's int8 operations, for execution.
    public var int8: Graph
    public var annotation: Annotation
    /// The per-tensor scale of every int8 value (by its float value's name).
    public var scales: [String: Float]
    /// The int8 operations, in graph order.
    public var layers: [QuantizedLayer]
    public var options: QuantizationOptions
}

/// One int8 operation of a quantized model and where its output lives in each graph.
public struct QuantizedLayer: Sendable, Hashable, Codable {
    /// The node's name (the ONNX node's, or the first of a fused group).
    public var name: String
    public var operation: String
    /// The output in the prepared float graph.
    public var floatValue: String
    /// The output in the int8 graph: the int8 value `…__q`, or the float value a pool hands over.
    public var quantizedValue: String
    /// The output's scale when it is int8.
    public var scale: Float?
}
