import FoundationEssentials

/// ONNX Runtime's numbers on the shipped motion model, as `Scripts/make_model_fixtures.py --only ort`
/// measures them: float top-1, and `quantize_static` (QDQ, per-channel int8, the same calibration
/// clips) with MinMax, Entropy and Percentile calibration.
public struct ORTReference: Sendable, Hashable, Codable {
    public struct Float32: Sendable, Hashable, Codable {
        public var top1: Double
    }

    public struct Quantized: Sendable, Hashable, Codable {
        public var top1: Double
        public var agreement: Double
        public var logitSQNR: Double

        enum CodingKeys: String, CodingKey {
            case top1, agreement
            case logitSQNR = "logit_sqnr_db"
        }
    }

    public var onnxruntime: String
    public var testClips: Int
    public var calibrationClips: Int
    public var float: Float32
    /// Calibration method (MinMax, Entropy, Percentile) -> result.
    public var quantizeStatic: [String: Quantized]

    enum CodingKeys: String, CodingKey {
        case onnxruntime, float
        case testClips = "test_clips"
        case calibrationClips = "calibration_clips"
        case quantizeStatic = "quantize_static"
    }

    /// Decodes the script's JSON (the stored file, or what `--json` prints).
    public static func decode(_ bytes: [UInt8]) throws -> ORTReference {
        try JSONDecoder().decode(ORTReference.self, from: Data(bytes))
    }

    /// The best logit SQNR of ORT's methods, and the method.
    public var best: (method: String, result: Quantized)? {
        quantizeStatic.max { $0.value.logitSQNR < $1.value.logitSQNR }.map { ($0.key, $0.value) }
    }

    /// The command that measures these numbers again (from the repository root), printing JSON on
    /// stdout; it needs python3 with numpy, onnx and onnxruntime.
    public static let measureCommand = [
        "python3", "Scripts/make_model_fixtures.py", "--only", "ort", "--json", "--no-write",
    ]
}
