#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Graph
import Tensors

/// How far the int8 model is from the float one: per int8 layer, and at the model's output.
///
/// Each layer's int8 output (dequantized) is compared with the same value of the float graph on the
/// same inputs; the error is end to end — everything quantized before the layer contributes — which
/// is what decides whether the model still works. SQNR is `10·log10(Σ x² / Σ (x - x̂)²)` in dB over all
/// elements of all batches (infinity when the outputs are identical).
///
/// ```swift
/// let report = try AccuracyReport.measure(model, on: batches, labels: labels)
/// report.model.sqnrDB          // logit SQNR, dB
/// report.model.top1Agreement   // fraction of samples where int8 and float pick the same class
/// report.layers[0].sqnrDB
/// ```
public struct AccuracyReport: Sendable, Hashable, Codable {
    public var calibration: String
    public var layers: [LayerAccuracy]
    public var model: ModelAccuracy

    /// Runs the float and int8 graphs of `model` on every batch and compares them. `labels`, when
    /// given, hold one class per sample (in batch order) and add top-1 accuracy to ``model``.
    public static func measure(
        _ model: QuantizedModel, on batches: [AnyTensor], labels: [Int]? = nil, progress: ((Int, Int) -> Void)? = nil
    ) throws(QuantizationError) -> AccuracyReport {
        guard let input = model.float.inputs.first, let output = model.float.outputs.first else {
            throw .badBatch(index: 0, reason: "the model has no input or output")
        }
        let floatExecutor: CPUExecutor
        let int8Executor: CPUExecutor
        do {
            floatExecutor = try CPUExecutor(model.float)
            int8Executor = try CPUExecutor(model.int8)
        } catch {
            throw .execution(error)
        }
        var layers = model.layers.map { ErrorSum(layer: $0) }
        var outputError = ErrorSum(layer: QuantizedLayer(name: output.name, operation: "output", floatValue: output.name, quantizedValue: output.name))
        let floatNames = Set(model.layers.map(\.floatValue))
        let int8Names = Set(model.layers.map(\.quantizedValue))
        var agree = 0
        var floatCorrect = 0
        var int8Correct = 0
        var samples = 0
        for (b, batch) in batches.enumerated() {
            var floats: [String: AnyTensor] = [:]
            var ints: [String: AnyTensor] = [:]
            let floatOut: [String: AnyTensor]
            let int8Out: [String: AnyTensor]
            do {
                floatOut = try floatExecutor.run([input.name: batch]) { name, v in if floatNames.contains(name) { floats[name] = v } }
                int8Out = try int8Executor.run([input.name: batch]) { name, v in if int8Names.contains(name) { ints[name] = v } }
            } catch {
                throw .badBatch(index: b, reason: error.description)
            }
            for i in layers.indices {
                let l = layers[i].layer
                guard let reference = floats[l.floatValue]?.float32Tensor?.elements, let q = ints[l.quantizedValue] else { continue }
                let approximation = l.scale.map { s in q.floatValues.map { $0 * s } } ?? q.floatValues
                layers[i].add(reference, approximation)
            }
            guard let f = floatOut[output.name]?.float32Tensor, let q = int8Out[output.name]?.float32Tensor else {
                throw .badBatch(index: b, reason: "output '\(output.name)' is not float32")
            }
            outputError.add(f.elements, q.elements)
            let classes = f.shape.last ?? 1
            for s in 0..<(f.count / max(classes, 1)) {
                let a = argmax(f.elements[(s * classes)..<((s + 1) * classes)])
                let c = argmax(q.elements[(s * classes)..<((s + 1) * classes)])
                if a == c { agree += 1 }
                if let labels, samples < labels.count {
                    if a == labels[samples] { floatCorrect += 1 }
                    if c == labels[samples] { int8Correct += 1 }
                }
                samples += 1
            }
            progress?(b + 1, batches.count)
        }
        let n = Double(max(samples, 1))
        let labelled = labels.map { Double(min($0.count, samples)) }
        return AccuracyReport(
            calibration: model.options.calibration.description,
            layers: layers.map(\.accuracy),
            model: ModelAccuracy(
                output: output.name, samples: samples, sqnrDB: outputError.sqnr, maxAbsError: outputError.maxAbs,
                top1Agreement: Double(agree) / n,
                floatTop1: labelled.map { Double(floatCorrect) / max($0, 1) },
                int8Top1: labelled.map { Double(int8Correct) / max($0, 1) }))
    }

    private static func argmax(_ v: ArraySlice<Float>) -> Int {
        var best = v.startIndex
        for i in v.indices where v[i] > v[best] { best = i }
        return best - v.startIndex
    }
}

/// One int8 layer's output error against the float graph.
public struct LayerAccuracy: Sendable, Hashable, Codable {
    public var layer: String
    public var operation: String
    public var sqnrDB: Double
    public var maxAbsError: Float
    /// The output's int8 scale (nil where the layer hands a float to float operations).
    public var scale: Float?
}

/// The model's output error and top-1 agreement (and accuracy, with labels).
public struct ModelAccuracy: Sendable, Hashable, Codable {
    public var output: String
    public var samples: Int
    public var sqnrDB: Double
    public var maxAbsError: Float
    public var top1Agreement: Double
    public var floatTop1: Double?
    public var int8Top1: Double?
}

/// Running sums for an SQNR.
private struct ErrorSum {
    let layer: QuantizedLayer
    var signal = 0.0
    var noise = 0.0
    var maxAbs: Float = 0

    mutating func add(_ reference: [Float], _ approximation: [Float]) {
        for (x, y) in zip(reference, approximation) {
            signal += Double(x) * Double(x)
            let e = Double(x) - Double(y)
            noise += e * e
            maxAbs = max(maxAbs, abs(x - y))
        }
    }

    var sqnr: Double { noise == 0 ? .infinity : 10 * log10(signal / noise) }

    var accuracy: LayerAccuracy {
        LayerAccuracy(layer: layer.name, operation: layer.operation, sqnrDB: sqnr, maxAbsError: maxAbs, scale: layer.scale)
    }
}
