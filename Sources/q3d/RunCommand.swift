import ArgumentParser
import Graph
import ONNX
import Quantization
import Tensors

/// `q3d run`: run an ONNX model (float, or int8 QDQ) on the CPU.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run an ONNX model (float or int8 QDQ) on input clips; write the output as .npy.")

    @Argument(help: "The ONNX model.")
    var model: String

    @Option(help: "Input .npy (the model's first input).")
    var input: String

    @Option(help: "Where to write the output .npy.")
    var output: String?

    @Option(help: "cpu (the GPU engine is not there yet).")
    var device: String = "cpu"

    @Flag(help: "Print a JSON summary.")
    var json = false

    struct Summary: Encodable {
        let model, input: String
        let output: String?
        let shape: [Int]
        let ms: Double
        let top1: [Int]?
    }

    func run() throws {
        guard device == "cpu" else {
            throw ValidationError("--device \(device): running whole models on the GPU is not there yet; use --device cpu")
        }
        let graph = try Quantizer.executable(try ONNXImporter.load(path: model))
        var x = try NPY.read(path: input)
        // Integer clips (uint8 pixels, as the calibration .npy files hold them) feed a float model as
        // floats of the same values, as `q3d quantize` reads them.
        if graph.inputs.first?.type.dtype == .float32, x.dtype != .float32 { x = .float32(x.convertedToFloat()) }
        let executor = try CPUExecutor(graph)
        let clock = ContinuousClock()
        let start = clock.now
        let y = try executor.run(x)
        let elapsed = clock.now - start
        if let output { try NPY.write(y, to: output) }
        let values = y.convertedToFloat()
        var top1: [Int]?
        if values.rank == 2 {
            let classes = values.shape[1]
            top1 = (0..<values.shape[0]).map { row in
                let slice = values.elements[(row * classes)..<((row + 1) * classes)]
                return slice.indices.max { slice[$0] < slice[$1] }.map { $0 - row * classes } ?? 0
            }
        }
        let ms = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) * 1e-15
        let summary = Summary(model: model, input: input, output: output, shape: y.shape, ms: ms, top1: top1)
        if json {
            print(try JSONText.encode(summary))
        } else {
            print("\(model): output \(y.dtype) \(y.shape) in \(Format.significant(ms, 3)) ms"
                + (output.map { " -> \($0)" } ?? "") + (top1.map { "; top-1 \($0.prefix(16))" } ?? ""))
        }
    }
}
