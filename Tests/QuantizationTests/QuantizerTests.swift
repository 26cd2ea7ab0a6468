import ConvGeometry
import Graph
import ONNX
import Quantization
import Tensors
import XCTest

final class QuantizerTests: XCTestCase {
    let seed: UInt64 = 0x5EED_0001

    func testPreparationFoldsBatchNormAndFusesActivationsAndResidual() throws {
        let g = try Quantizer.prepare(try TestModels.residual3D(seed: seed))
        let ops = g.nodes.map(\.operation.typeName)
        XCTAssertFalse(ops.contains("BatchNormalization"), "seed \(seed): \(ops)")
        XCTAssertFalse(ops.contains("Relu"), "seed \(seed): \(ops)")
        XCTAssertFalse(ops.contains("Add"), "seed \(seed): \(ops)")
        guard case .conv(let t)? = g.nodes.first(where: { $0.name == "temporal" })?.operation else {
            return XCTFail("seed \(seed): no fused temporal conv in \(g)")
        }
        XCTAssertTrue(t.hasResidual)
        XCTAssertEqual(t.activation, .relu)
        // The prepared graph computes what the original does.
        let x = TestModels.batches(count: 1, shape: [2, 3, 4, 8, 8], seed: seed)[0]
        let before = try CPUExecutor(try TestModels.residual3D(seed: seed)).run(x).float32Tensor!
        let after = try CPUExecutor(g).run(x).float32Tensor!
        for (a, b) in zip(before.elements, after.elements) { XCTAssertEqual(a, b, accuracy: 1e-4, "seed \(seed)") }
    }

    func testQuantizedModelKeepsInt8BetweenLayersAndTracksFloat() throws {
        let graph = try TestModels.residual3D(seed: seed)
        let calibration = TestModels.batches(count: 3, shape: [2, 3, 4, 8, 8], seed: seed + 1)
        let model = try Quantizer().quantize(graph, calibration: calibration)
        let ops = model.int8.nodes.map(\.operation.typeName)
        XCTAssertEqual(ops.filter { $0 == "Q3D.Int8Conv" }.count, 3, "seed \(seed): \(ops)")
        XCTAssertTrue(ops.contains("Q3D.Int8MaxPool"), "\(ops)")
        XCTAssertTrue(ops.contains("Q3D.Int8AveragePool"), "\(ops)")
        // Only the graph input is quantized from float, and nothing is dequantized: GAP hands a float to Gemm.
        XCTAssertEqual(ops.filter { $0 == "QuantizeLinear" }.count, 1, "\(ops)")
        XCTAssertEqual(ops.filter { $0 == "DequantizeLinear" }.count, 0, "\(ops)")
        let report = try AccuracyReport.measure(model, on: TestModels.batches(count: 2, shape: [2, 3, 4, 8, 8], seed: seed + 2))
        XCTAssertGreaterThan(report.model.sqnrDB, 25, "seed \(seed)")
        XCTAssertEqual(report.layers.map(\.layer), ["stem", "pool", "spatial", "temporal", "gap"])
        for layer in report.layers { XCTAssertGreaterThan(layer.sqnrDB, 20, "seed \(seed): \(layer)") }
    }

    func testQDQGraphAndInt8GraphAgree() throws {
        let graph = try TestModels.residual3D(seed: seed)
        let model = try Quantizer().quantize(graph, calibration: TestModels.batches(count: 2, shape: [2, 3, 4, 8, 8], seed: seed + 3))
        let x = TestModels.batches(count: 1, shape: [2, 3, 4, 8, 8], seed: seed + 4)[0]
        // The QDQ graph computes in float on dequantized values; the int8 graph in int8 with int32
        // sums. They differ only where float rounding moves a value across a rounding boundary.
        let simulated = try CPUExecutor(model.qdq).run(x).float32Tensor!
        let integer = try CPUExecutor(model.int8).run(x).float32Tensor!
        XCTAssertGreaterThan(TestModels.sqnr(simulated.elements, integer.elements), 35, "seed \(seed)")
    }

    func testExportedQDQModelImportsAndLowersToTheSameInt8Graph() throws {
        let graph = try TestModels.residual3D(seed: seed)
        let model = try Quantizer().quantize(graph, calibration: TestModels.batches(count: 2, shape: [2, 3, 4, 8, 8], seed: seed + 5))
        let bytes = try ONNXExporter.export(model.qdq)
        let reimported = try ONNXImporter.load(bytes: bytes)
        let lowered = try Quantizer.executable(reimported)
        XCTAssertEqual(lowered.nodes.map(\.operation.typeName), model.int8.nodes.map(\.operation.typeName))
        let x = TestModels.batches(count: 1, shape: [2, 3, 4, 8, 8], seed: seed + 6)[0]
        XCTAssertEqual(try CPUExecutor(lowered).run(x), try CPUExecutor(model.int8).run(x), "seed \(seed): bit-identical after a round trip")
    }

    func testSkipListCountsEveryConvolutionRank() throws {
        // A 1D convolution first: TVM's skip list counted conv2d only; Q3D counts every convolution.
        var b = GraphBuilder(name: "mixed")
        var rng = SeededGenerator(seed: seed)
        let x = b.input("x", [1, 2, 6, 6, 6])
        b.constant("w1", TestModels.random([3, 2, 3, 3, 3], &rng))
        b.constant("w2", TestModels.random([4, 3, 1, 1, 1], &rng))
        let h = b.conv(x, weight: "w1", kernel: [3, 3, 3], name: "rgb_stem")
        b.output(b.conv(h, weight: "w2", kernel: [1, 1, 1], name: "pointwise"))
        let graph = try b.build()
        let calibration = TestModels.batches(count: 1, shape: [1, 2, 6, 6, 6], seed: seed)
        let byIndex = try Quantizer(options: .init(skip: [.index(0)])).quantize(graph, calibration: calibration)
        XCTAssertEqual(byIndex.annotation.skipped, ["rgb_stem"])
        XCTAssertEqual(byIndex.layers.map(\.name), ["pointwise"])
        let byName = try Quantizer(options: .init(skip: [.name("pointwise")])).quantize(graph, calibration: calibration)
        XCTAssertEqual(byName.layers.map(\.name), ["rgb_stem"])
        XCTAssertThrowsError(try Quantizer(options: .init(skip: [.name("conv9")])).quantize(graph, calibration: calibration)) {
            XCTAssertTrue("\($0)".contains("'rgb_stem'"), "\($0)")
        }
    }

    func testPowerOfTwoWeightScales() throws {
        let graph = try TestModels.residual3D(seed: seed)
        let model = try Quantizer(options: .init(weightScale: .powerOfTwo))
            .quantize(graph, calibration: TestModels.batches(count: 1, shape: [1, 3, 4, 8, 8], seed: seed))
        let scales = model.qdq.initializers.filter { $0.key.hasSuffix("__weight_scale") }.flatMap { $0.value.floatValues }
        XCTAssertFalse(scales.isEmpty)
        for s in scales { XCTAssertEqual(s.significand, 1, "\(s) is not a power of two") }
    }

    func testEveryCalibrationMethodProducesAWorkingModel() throws {
        let graph = try TestModels.residual3D(seed: seed)
        let calibration = TestModels.batches(count: 2, shape: [2, 3, 4, 8, 8], seed: seed + 7)
        for method in [CalibrationMethod.max, .percentile(99.99), .entropy, .mse] {
            let model = try Quantizer(options: .init(calibration: method)).quantize(graph, calibration: calibration)
            let report = try AccuracyReport.measure(model, on: calibration)
            XCTAssertGreaterThan(report.model.sqnrDB, 20, "seed \(seed), \(method)")
        }
    }
}
