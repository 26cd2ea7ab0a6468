import Foundation
import Graph
import ONNX
import Quantization
import Tensors
import XCTest

/// Every op-coverage fixture, at its oldest and newest opset, imported and run on the CPU, against the
/// outputs ONNX Runtime computed for the same input.
final class OpFixtureTests: XCTestCase {
    func testEveryOpFixtureMatchesOnnxRuntime() throws {
        for (name, opsets) in Fixtures.opGroups {
            let input = try Fixtures.npy(Fixtures.ops("\(name).input.npy"))
            for opset in opsets {
                let graph = try ONNXImporter.load(path: Fixtures.ops("\(name).opset\(opset).onnx"))
                let outputs = try CPUExecutor(graph).run([graph.inputs[0].name: input])
                for (k, output) in graph.outputs.enumerated() {
                    let expected = try Fixtures.npy(Fixtures.ops("\(name).opset\(opset).out\(k).npy")).convertedToFloat()
                    let actual = try XCTUnwrap(outputs[output.name]?.float32Tensor, "\(name) opset \(opset)")
                    let diff = try XCTUnwrap(maxAbsDifference(actual, expected), "\(name) opset \(opset): shape \(actual.shape) vs \(expected.shape)")
                    // QDQ outputs may differ by one quantization step where float rounding breaks a tie.
                    let tolerance: Float = name == "qdq" ? 0.05 + 1e-4 : 1e-4 * max(1, expected.elements.map(abs).max() ?? 1)
                    XCTAssertLessThanOrEqual(diff, tolerance, "\(name) opset \(opset) output \(k)")
                }
            }
        }
    }

    func testExternalDataAndTypedFieldInitializers() throws {
        for name in ["external_data", "typed_fields"] {
            let graph = try ONNXImporter.load(path: Fixtures.ops("\(name).onnx"))
            let input = try Fixtures.npy(Fixtures.ops("\(name).input.npy"))
            let y = try CPUExecutor(graph).run(input)
            let expected = try Fixtures.npy(Fixtures.ops("\(name).out0.npy")).convertedToFloat()
            let diff = try XCTUnwrap(maxAbsDifference(try XCTUnwrap(y.float32Tensor), expected))
            XCTAssertLessThan(diff, 1e-4, name)
        }
    }

    func testExternalDataNeedsTheModelsDirectory() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(filePath: Fixtures.ops("external_data.onnx"))))
        XCTAssertThrowsError(try ONNXImporter.load(bytes: bytes)) { error in
            XCTAssertTrue("\(error)".contains("needs the model's path"), "\(error)")
        }
    }
}
