import Demo
import Foundation
import Graph
import ONNX
import Quantization
import Tensors
import XCTest

/// The trained motion model: float inference against ONNX Runtime, and int8 accuracy on real clips.
final class MotionModelTests: XCTestCase {
    static let directory = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Fixtures/motion3d").path

    func load() throws -> Graph { try ONNXImporter.load(path: "\(Self.directory)/motion3d.onnx") }

    func clips(_ name: String, first n: Int, for graph: Graph) throws -> [AnyTensor] {
        let all = try NPY.read(path: "\(Self.directory)/\(name)")
        guard case .uint8(let t) = all else { throw XCTSkip("\(name) is not uint8") }
        let per = t.count / t.shape[0]
        let some = AnyTensor.uint8(try Tensor(shape: [n] + t.shape.dropFirst(), elements: Array(t.elements[0..<(n * per)])))
        return try Batches.split(some, for: graph, batchSize: 4)
    }

    func testFloatModelMatchesOnnxRuntime() throws {
        let graph = try load()
        let batches = try clips("test_clips.npy", first: 4, for: graph)
        let expected = try NPY.read(path: "\(Self.directory)/test_logits.npy").convertedToFloat()
        let logits = try CPUExecutor(graph).run(batches[0]).float32Tensor!
        for (i, v) in logits.elements.enumerated() { XCTAssertEqual(v, expected.elements[i], accuracy: 1e-3) }
        // The prepared graph (BatchNorm folded, activations and the residual fused) too.
        let prepared = try CPUExecutor(try Quantizer.prepare(graph)).run(batches[0]).float32Tensor!
        for (i, v) in prepared.elements.enumerated() { XCTAssertEqual(v, expected.elements[i], accuracy: 1e-3) }
    }

    /// Debug builds run this on a few clips; the demo (`q3d demo`) measures all of them.
    func testInt8ModelKeepsTheFloatModelsAnswers() throws {
        let graph = try load()
        let calibration = try clips("calibration.npy", first: 8, for: graph)
        let model = try Quantizer().quantize(graph, calibration: calibration)
        XCTAssertEqual(model.layers.filter { $0.operation == "Conv" }.count, 5, "every conv3d, the RGB stem included")
        let test = try clips("test_clips.npy", first: 8, for: graph)
        let labels = try NPY.read(path: "\(Self.directory)/test_labels.npy").integerValues ?? []
        let report = try AccuracyReport.measure(model, on: test, labels: Array(labels.prefix(8)))
        XCTAssertGreaterThanOrEqual(report.model.sqnrDB, 30, "\(report.model)")
        XCTAssertEqual(report.model.top1Agreement, 1, "\(report.model)")
    }

    func testOnnxRuntimesQDQModelRuns() throws {
        // ONNX Runtime's own quantize_static output: asymmetric int8 activations, run as ONNX defines QDQ.
        let graph = try ONNXImporter.load(path: "\(Self.directory)/motion3d.ort_qdq.onnx")
        let batches = try clips("test_clips.npy", first: 4, for: graph)
        let logits = try CPUExecutor(graph).run(batches[0]).float32Tensor!
        let expected = try NPY.read(path: "\(Self.directory)/ort_qdq_logits.npy").convertedToFloat()
        // The stored logits are ONNX's QDQ semantics (ORT without graph optimizations); they are
        // quantized to steps of about 0.097, and Q3D may round one value across a step boundary.
        let step: Float = 0.1
        for (i, v) in logits.elements.enumerated() { XCTAssertEqual(v, expected.elements[i], accuracy: step) }
    }

    /// Writes Q3D's QDQ export of the motion model where Q3D_EXPORT_QDQ says, for checking it with
    /// ONNX Runtime: `python3 Scripts/make_model_fixtures.py --check-qdq PATH`.
    func testExportQDQForOnnxRuntime() throws {
        guard let path = ProcessInfo.processInfo.environment["Q3D_EXPORT_QDQ"] else { throw XCTSkip("set Q3D_EXPORT_QDQ=path") }
        let graph = try load()
        let model = try Quantizer().quantize(graph, calibration: try clips("calibration.npy", first: 32, for: graph))
        try ONNXExporter.write(model.qdq, to: path)
        let test = try clips("test_clips.npy", first: 16, for: graph)
        let logits = try test.map { try CPUExecutor(model.int8).run($0).float32Tensor!.elements }.flatMap { $0 }
        try NPY.write(try Tensor<Float>(shape: [16, 8], elements: logits), to: path + ".q3d_logits.npy")
    }

    /// The whole demo, as `q3d demo` runs it: Q3D_FULL_DEMO=1 (seconds in release, minutes in debug);
    /// Q3D_FULL_DEMO=all compares every calibration method.
    func testFullDemo() throws {
        let mode = ProcessInfo.processInfo.environment["Q3D_FULL_DEMO"]
        guard mode == "1" || mode == "all" else { throw XCTSkip("set Q3D_FULL_DEMO=1 to run the full demo") }
        let methods: [CalibrationMethod]? = mode == "all" ? [.max, .entropy, .mse, .percentile(99.99)] : nil
        let report = try MotionDemo.run(directory: Self.directory, methods: methods)
        for m in report.methods {
            print("method \(m.method): logit SQNR \(m.test.sqnrDB) dB, agreement \(m.test.top1Agreement), float top-1 \(m.test.floatTop1 ?? -1), int8 top-1 \(m.test.int8Top1 ?? -1)")
        }
        for l in report.calibration.layers { print("layer \(l.layer) \(l.operation) SQNR \(l.sqnrDB) max|err| \(l.maxAbsError)") }
        print("demo seconds \(report.seconds)")
        let test = report.test.model
        XCTAssertLessThanOrEqual(abs((test.floatTop1 ?? 0) - (test.int8Top1 ?? 1)), 0.005)
        XCTAssertGreaterThanOrEqual(test.sqnrDB, 35)
        if let ort = report.ort?.best { XCTAssertGreaterThan(test.sqnrDB, ort.result.logitSQNR) }
    }
}
