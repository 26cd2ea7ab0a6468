import FoundationEssentials
import Graph
import ONNX
import Quantization
import Tensors

/// `q3d demo`: quantize the shipped motion model with its calibration clips, run float and int8 on
/// its held-out test clips on the CPU, and report top-1 of each, their agreement, the logit SQNR and
/// the per-layer errors — next to ONNX Runtime's own int8 numbers on the same model.
///
/// ```swift
/// let report = try MotionDemo.run(directory: MotionDemo.locate() ?? MotionDemo.defaultDirectory)
/// report.test.model.int8Top1      // on the test clips
/// report.calibration.layers       // per-layer SQNR on the calibration clips
/// report.ort?.best                // ORT quantize_static's best method, for comparison
/// ```
///
/// The fixture (Tests/Fixtures/motion3d, made by Scripts/make_model_fixtures.py): a small R(2+1)D-style
/// network trained on synthetic clips where only motion tells the class, 3 x 16 x 24 x 24 uint8 clips.
public enum MotionDemo {
    /// Where the fixture lies, relative to the repository root.
    public static let defaultDirectory = "Tests/Fixtures/motion3d"

    /// The fixture directory: under the current directory or above it, or next to `executable` (or
    /// above it, so that `.build/release/q3d` finds the repository's copy).
    public static func locate(executable: String? = nil) -> String? {
        var starts = ["."]
        if let executable, let slash = executable.lastIndex(of: "/") { starts.append(String(executable[..<slash])) }
        for start in starts {
            var dir = start
            for _ in 0..<5 {
                let candidate = dir + "/" + defaultDirectory
                if FileManager.default.fileExists(atPath: candidate + "/motion3d.onnx") { return candidate }
                dir += "/.."
            }
        }
        return nil
    }

    /// Runs the demo. `methods` lists the calibration methods to compare (the first one's report is
    /// ``DemoReport/test`` and ``DemoReport/calibration``); `progress` gets a stage name and a count.
    public static func run(
        directory: String = defaultDirectory, options: QuantizationOptions = QuantizationOptions(),
        methods: [CalibrationMethod]? = nil, batchSize: Int = 16,
        progress: ((String, Int, Int) -> Void)? = nil
    ) throws -> DemoReport {
        let clock = ContinuousClock()
        let start = clock.now
        let graph = try ONNXImporter.load(path: "\(directory)/motion3d.onnx")
        let calibration = try Batches.split(try NPY.read(path: "\(directory)/calibration.npy"), for: graph, batchSize: batchSize)
        let test = try Batches.split(try NPY.read(path: "\(directory)/test_clips.npy"), for: graph, batchSize: batchSize)
        let labels = try NPY.read(path: "\(directory)/test_labels.npy").integerValues ?? []
        var results: [MethodResult] = []
        var first: (QuantizedModel, AccuracyReport, AccuracyReport)? = nil
        for method in methods ?? [options.calibration] {
            var o = options
            o.calibration = method
            let model = try Quantizer(options: o).quantize(graph, calibration: calibration) { progress?("calibrate \(method)", $0, $1) }
            let onTest = try AccuracyReport.measure(model, on: test, labels: labels) { progress?("test \(method)", $0, $1) }
            results.append(MethodResult(method: method.description, test: onTest.model))
            if first == nil {
                let onCalibration = try AccuracyReport.measure(model, on: calibration) { progress?("layers", $0, $1) }
                first = (model, onTest, onCalibration)
            }
        }
        guard let (model, onTest, onCalibration) = first else { throw QuantizationError.noCalibrationData }
        let ortPath = "\(directory)/ort_reference.json"
        let ort = FileManager.default.contents(atPath: ortPath).flatMap { try? ORTReference.decode([UInt8]($0)) }
        let elapsed = clock.now - start
        return DemoReport(
            model: "\(directory)/motion3d.onnx", calibrationClips: calibration.reduce(0) { $0 + ($1.shape.first ?? 0) },
            testClips: labels.count, int8Layers: model.layers.count, skipped: model.annotation.skipped,
            test: onTest, calibration: onCalibration, methods: results, ort: ort,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
}

/// What ``MotionDemo/run(directory:options:methods:batchSize:progress:)`` measured.
public struct DemoReport: Sendable, Codable {
    public var model: String
    public var calibrationClips: Int
    public var testClips: Int
    public var int8Layers: Int
    public var skipped: [String]
    /// The first method's report on the labelled test clips: top-1 of float and int8, agreement,
    /// logit SQNR, and per-layer errors.
    public var test: AccuracyReport
    /// The same model's per-layer errors on the calibration clips.
    public var calibration: AccuracyReport
    /// Every method compared, on the test clips.
    public var methods: [MethodResult]
    /// ONNX Runtime's stored numbers (ort_reference.json), if present.
    public var ort: ORTReference?
    public var seconds: Double
}

/// One calibration method's model-level result.
public struct MethodResult: Sendable, Hashable, Codable {
    public var method: String
    public var test: ModelAccuracy
}
