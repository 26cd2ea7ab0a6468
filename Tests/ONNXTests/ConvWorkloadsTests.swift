import ConvGeometry
import Graph
import ONNX
import XCTest

/// The distinct convolutions `q3d tune --model` tunes, read off the shipped model.
final class ConvWorkloadsTests: XCTestCase {
    func testTheMotionModelsConvolutionsLargestShareFirst() throws {
        let graph = try ONNXImporter.load(path: "\(Fixtures.root)/motion3d/motion3d.onnx")
        XCTAssertThrowsError(try graph.convolutionWorkloads()) {
            XCTAssertTrue("\($0)".contains("unknown dimension N at axis 0; give a batch"), "\($0)")
        }
        let workloads = try graph.convolutionWorkloads(batch: 2)
        let convNodes = graph.nodes.filter { $0.operation.isConvolution }.count
        XCTAssertEqual(workloads.reduce(0) { $0 + $1.nodes.count }, convNodes)
        XCTAssertEqual(Set(workloads.map(\.parameters)).count, workloads.count, "workloads are distinct")
        XCTAssertEqual(workloads.reduce(0) { $0 + $1.flopShare }, 1, accuracy: 1e-9)
        for (a, b) in zip(workloads, workloads.dropFirst()) { XCTAssertGreaterThanOrEqual(a.flopShare, b.flopShare) }
        XCTAssertTrue(workloads.allSatisfy { $0.parameters.batch == 2 })
    }
}
