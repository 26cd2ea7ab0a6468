import ArgumentParser
import CPUKernels
import Demo
import Quantization

/// `q3d demo`, the main job: quantize the shipped trained 3D CNN with its calibration clips, run
/// float and int8 on the CPU, and report accuracy against float and against ONNX Runtime.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Quantize the shipped motion-recognition 3D CNN to int8, run it, and report its accuracy.")

    @Option(help: "The fixture folder (default: Tests/Fixtures/motion3d, found from here or the binary).")
    var directory: String?

    @Option(help: "Calibration method: max, percentile[:P], entropy, mse.")
    var method: String = "max"

    @Flag(help: "Also compare every calibration method.")
    var compare = false

    @Flag(help: "Do not re-measure ONNX Runtime (use its stored numbers).")
    var storedORT = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        guard let calibration = CalibrationMethod(parsing: method) else {
            throw ValidationError("--method \(method); expected max, percentile[:P], entropy or mse")
        }
        guard let folder = directory ?? MotionDemo.locate(executable: CommandLine.arguments.first) else {
            throw ValidationError(
                "the demo model was not found (\(MotionDemo.defaultDirectory)); run q3d from the repository or pass --directory")
        }
        var options = QuantizationOptions()
        options.calibration = calibration
        let methods: [CalibrationMethod] =
            compare ? [calibration] + [.max, .percentile(99.99), .entropy, .mse].filter { $0 != calibration } : [calibration]
        let quiet = json
        var report = try MotionDemo.run(directory: folder, options: options, methods: methods) { stage, done, total in
            if !quiet { Terminal.progress(Terminal.bar(done, total, label: stage), done: false) }
        }
        if !quiet { Terminal.progress("", done: false) }
        var ortSource = "stored in \(folder)/ort_reference.json"
        if !storedORT, let measured = Subprocess.run(ORTReference.measureCommand), measured.status == 0,
            let fresh = try? ORTReference.decode(Self.lastJSONObject(measured.output))
        {
            report.ort = fresh
            ortSource = "measured now"
        }
        if json {
            print(try JSONText.encode(report))
            return
        }
        print(DemoText.render(report, ortSource: ortSource, cpu: CPUFeatures.current.bestInstructionSet.rawValue))
    }

    /// ONNX Runtime's quantizer prints progress on standard output before the script's JSON: keep
    /// the object that starts at the beginning of the last line opening with "{".
    static func lastJSONObject(_ bytes: [UInt8]) -> [UInt8] {
        var start = 0
        for i in bytes.indices where bytes[i] == UInt8(ascii: "{") && (i == 0 || bytes[i - 1] == UInt8(ascii: "\n")) {
            start = i
        }
        return Array(bytes[start...])
    }
}

/// The demo's text report.
enum DemoText {
    static func render(_ r: DemoReport, ortSource: String, cpu: String) -> String {
        let m = r.test.model
        var lines: [String] = []
        lines.append("Q3D demo: \(r.model)")
        lines.append("  a small R(2+1)D-style 3D CNN trained to tell motion direction and speed in RGB clips")
        lines.append("  calibrated on \(r.calibrationClips) clips (\(r.test.calibration)), tested on \(r.testClips) held-out clips; "
            + "CPU (\(cpu)); \(Format.fixed(r.seconds, 1)) s")
        if !r.skipped.isEmpty { lines.append("  kept in float: \(r.skipped.joined(separator: ", "))") }
        lines.append("")
        var rows: [[String]] = [
            ["float32 (Q3D)", pct(m.floatTop1), "", "", ""],
            ["int8 (Q3D, \(r.test.calibration))", pct(m.int8Top1), pct(m.top1Agreement), db(m.sqnrDB), Format.significant(Double(m.maxAbsError), 3)],
        ]
        for other in r.methods.dropFirst() {
            rows.append(["int8 (Q3D, \(other.method))", pct(other.test.int8Top1), pct(other.test.top1Agreement), db(other.test.sqnrDB),
                         Format.significant(Double(other.test.maxAbsError), 3)])
        }
        if let ort = r.ort {
            rows.append(["float32 (ONNX Runtime \(ort.onnxruntime))", pct(ort.float.top1), "", "", ""])
            for (name, q) in ort.quantizeStatic.sorted(by: { $0.key < $1.key }) {
                rows.append(["int8 (ORT quantize_static, \(name))", pct(q.top1), pct(q.agreement), db(q.logitSQNR), ""])
            }
        }
        lines.append(Format.table(["model", "top-1", "agrees with float", "logit SQNR", "max |logit err|"], rows))
        if let ort = r.ort, let best = ort.best {
            let verdict = m.sqnrDB > best.result.logitSQNR ? "higher" : "NOT higher"
            lines.append("  Q3D's logit SQNR \(db(m.sqnrDB)) is \(verdict) than ONNX Runtime's best (\(best.method), "
                + "\(db(best.result.logitSQNR))); ORT numbers \(ortSource).")
        }
        lines.append("")
        lines.append("Per quantized layer, on the calibration clips (int8 graph against the float graph):")
        lines.append(Format.table(
            ["layer", "op", "SQNR", "max |err|", "scale"],
            r.calibration.layers.map {
                [$0.layer, $0.operation, db($0.sqnrDB), Format.significant(Double($0.maxAbsError), 3),
                 $0.scale.map { Format.significant(Double($0), 3) } ?? ""]
            }))
        return lines.joined(separator: "\n")
    }

    static func pct(_ v: Double?) -> String { v.map { Format.fixed($0 * 100, 2) + "%" } ?? "" }
    static func db(_ v: Double) -> String { v.isInfinite ? "exact" : Format.fixed(v, 2) + " dB" }
}
