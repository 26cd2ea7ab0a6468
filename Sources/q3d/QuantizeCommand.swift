import ArgumentParser
import ONNX
import Quantization
import Tensors

/// `q3d quantize`: a float ONNX model to an int8 QDQ ONNX model, with an accuracy report.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a float ONNX model to int8 (QDQ ONNX) with calibration clips; report per-layer accuracy.")

    @Argument(help: "The float ONNX model.")
    var model: String

    @Option(help: "Calibration clips as .npy (N x C x D x H x W; float, or uint8 scaled to [0, 1]).")
    var calib: String

    @Option(help: "Calibration: max (default), percentile[:P] (default P 99.99), entropy, mse.")
    var method: String = "max"

    @Option(help: "Weight scales: max or power-of-two.")
    var weightScale: String = "max"

    @Option(help: "Layers kept in float: conv indices (counting every Conv, 0 first) or node names, comma-separated.")
    var skip: String?

    @Option(name: .shortAndLong, help: "Where to write the int8 QDQ model.")
    var output: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        guard let calibration = CalibrationMethod(parsing: method) else {
            throw ValidationError("--method \(method); expected max, percentile[:P], entropy or mse")
        }
        guard let weights = WeightScale(rawValue: weightScale) else {
            throw ValidationError("--weight-scale \(weightScale); expected max or power-of-two")
        }
        var options = QuantizationOptions()
        options.calibration = calibration
        options.weightScale = weights
        options.skip = (skip ?? "").split(separator: ",").map { part in
            Int(part).map(LayerSelector.index) ?? .name(String(part))
        }
        let graph = try ONNXImporter.load(path: model)
        let batches = try Batches.split(try NPY.read(path: calib), for: graph)
        let quiet = json
        let quantized = try Quantizer(options: options).quantize(graph, calibration: batches) { done, total in
            if !quiet { Terminal.progress(Terminal.bar(done, total, label: "calibrating"), done: done == total) }
        }
        try ONNXExporter.write(quantized.qdq, to: output)
        let report = try AccuracyReport.measure(quantized, on: batches) { done, total in
            if !quiet { Terminal.progress(Terminal.bar(done, total, label: "measuring"), done: done == total) }
        }
        if json {
            print(try JSONText.encode(report))
            return
        }
        let m = report.model
        print("\(model) -> \(output): \(quantized.layers.count) layers in int8 (\(report.calibration))")
        print(Format.table(
            ["layer", "op", "SQNR", "max |err|"],
            report.layers.map { [$0.layer, $0.operation, DemoText.db($0.sqnrDB), Format.significant(Double($0.maxAbsError), 3)] }))
        print("output \(m.output): SQNR \(DemoText.db(m.sqnrDB)), top-1 agreement \(DemoText.pct(m.top1Agreement)) "
            + "on \(m.samples) calibration clips")
    }
}
