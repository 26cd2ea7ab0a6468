import Graph
import Tensors

/// TVM's "calibrate" step: runs the prepared float graph over the calibration batches and collects a
/// histogram of every value that needs a scale.
public enum Calibration {
    public static func histograms(
        _ graph: Graph, values: [String], feeds: [[String: AnyTensor]], bins: Int,
        progress: ((Int, Int) -> Void)? = nil
    ) throws(QuantizationError) -> [String: ActivationHistogram] {
        let executor: CPUExecutor
        do { executor = try CPUExecutor(graph) } catch { throw .execution(error) }
        let watched = Set(values)
        var histograms: [String: ActivationHistogram] = [:]
        for v in values { histograms[v] = ActivationHistogram(bins: bins) }
        for (i, feed) in feeds.enumerated() {
            // Graph inputs are never computed, so they are observed from the feed itself.
            for (name, tensor) in feed where watched.contains(name) {
                histograms[name]?.add(tensor.floatValues)
            }
            do {
                _ = try executor.run(feed) { name, value in
                    if watched.contains(name), let t = value.float32Tensor { histograms[name]?.add(t.elements) }
                }
            } catch {
                throw .badBatch(index: i, reason: error.description)
            }
            progress?(i + 1, feeds.count)
        }
        return histograms
    }
}

/// Cutting a stack of samples (one `.npy` of clips, say) into batches a graph accepts.
public enum Batches {
    /// Splits `samples` along axis 0 into batches of at most `batchSize` (exactly the graph's batch
    /// size when its input fixes one), converting integer samples to the input's float type
    /// (uint8 pixels become floats of the same values).
    public static func split(_ samples: AnyTensor, for graph: Graph, batchSize: Int = 8) throws(QuantizationError) -> [AnyTensor] {
        guard let input = graph.inputs.first else { throw .badBatch(index: 0, reason: "the model has no input") }
        let floats: AnyTensor = input.type.dtype == .float32 && samples.dtype != .float32 ? .float32(samples.convertedToFloat()) : samples
        guard floats.dtype == input.type.dtype else {
            throw .badBatch(index: 0, reason: "samples are \(samples.dtype); input '\(input.name)' is \(input.type.dtype)")
        }
        let shape = floats.shape
        guard let n = shape.first, n > 0 else { throw .badBatch(index: 0, reason: "no samples in shape \(shape)") }
        let size = input.type.shape.first?.value ?? max(1, batchSize)
        guard n % size == 0 || input.type.shape.first?.value == nil else {
            throw .badBatch(index: 0, reason: "\(n) samples do not fill batches of \(size), the model's fixed batch size")
        }
        let perSample = shape.dropFirst().reduce(1, *)
        guard case .float32(let t) = floats else { throw .badBatch(index: 0, reason: "only float32 inputs can be batched") }
        return stride(from: 0, to: n, by: size).map { start in
            let count = min(size, n - start)
            return .float32(Tensor(computedShape: [count] + shape.dropFirst(), elements: Array(t.elements[(start * perSample)..<((start + count) * perSample)])))
        }
    }
}
