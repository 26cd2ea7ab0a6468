import ConvGeometry
import Engine

/// What `q3d conv3d` prints: as text, or as one JSON object with `--json`.
struct Conv3DReport: Encodable {
    let layer: String?
    let impl: String
    let device: String
    let reason: String
    let dtype: String
    let output: String
    let shapeIn: [Int]
    let shapeWeight: [Int]
    let shapeOut: [Int]
    let parameters: String
    let gflop: Double
    let ms: Double?
    let msMin: Double?
    let msMax: Double?
    let repeats: Int
    let tops: Double?
    let maxAbsErr: Double?
    let relErr: Double?
    let unwritten: Int?
    let verified: Bool?
    let detail: String
    let config: String?
    let configSource: String?
    let rejected: [Conv3DRejection]
    let warnings: [String]
    let seed: UInt64

    enum CodingKeys: String, CodingKey {
        case layer, impl, device, reason, dtype, output, parameters, gflop, ms, repeats, tops, unwritten, verified,
            detail, config, seed, rejected, warnings
        case shapeIn = "shape_in", shapeWeight = "shape_weight", shapeOut = "shape_out"
        case msMin = "ms_min", msMax = "ms_max", maxAbsErr = "max_abs_err", relErr = "rel_err"
        case configSource = "config_source"
    }

    init(name: String?, request: Conv3DRequest, choice: Conv3DChoice, result: Conv3DRunResult) {
        let p = request.parameters
        layer = name
        impl = choice.impl
        device = choice.device.rawValue
        reason = choice.reason
        dtype = request.dtype.rawValue
        output = request.dtype == .float32 ? "float32" : (request.int8Output ? (request.residual ? "int8+residual" : "int8") : "int32")
        shapeIn = p.inputShape
        shapeWeight = p.weightShape
        shapeOut = result.outputShape
        parameters = p.description
        gflop = Double(p.flops) / 1e9
        ms = result.milliseconds
        msMin = result.spread?.lowerBound
        msMax = result.spread?.upperBound
        repeats = result.repeats
        tops = result.milliseconds.map { Double(p.flops) / ($0 * 1e9) }
        maxAbsErr = result.maxAbsError
        relErr = result.relativeError
        unwritten = result.unwritten
        verified = result.verified
        detail = result.detail
        config = result.config ?? choice.config
        configSource = result.configSource ?? choice.configSource
        rejected = choice.rejected
        warnings = choice.warnings
        self.seed = request.seed
    }

    var text: String {
        var lines = [
            "conv3d \(layer.map { $0 + ": " } ?? "")\(parameters)",
            "  \(impl) on \(device) (\(detail)); \(dtype) -> \(output); \(Format.significant(gflop)) GFLOP; seed \(seed)",
        ]
        lines.append("  why: \(reason)")
        if let config { lines.append("  config (\(configSource ?? "given")): \(config)") }
        if let ms, let msMin, let msMax, let tops {
            lines.append(
                "  time: \(Format.significant(ms, 4)) ms median of \(repeats) (spread \(Format.significant(msMin, 3))–"
                    + "\(Format.significant(msMax, 3)) ms), \(Format.significant(tops * 1000, 3)) GOP/s")
        }
        if let verified, let maxAbsErr {
            var check = "  verify: \(verified ? "OK" : "MISMATCH"), max |err| \(Format.significant(maxAbsErr, 3))"
            if let relErr { check += ", relative \(Format.significant(relErr, 2))" }
            if let unwritten { check += ", \(unwritten) elements unwritten" }
            lines.append(check)
        }
        return lines.joined(separator: "\n")
    }
}
