import Foundation
import Graph
import ONNX
import SwiftProtobuf
import XCTest

/// What the importer says about models it cannot take: each message names the node and what is wrong.
final class ImportErrorTests: XCTestCase {
    func fixture(_ name: String) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(filePath: Fixtures.ops(name))))
    }

    func load(_ model: Onnx_ModelProto) throws -> Graph {
        try ONNXImporter.load(bytes: try model.serializedBytes())
    }

    func testUnsupportedOperatorNamesTypeNodeAndSupportedSet() throws {
        var model = try fixture("elementwise.opset11.onnx")
        model.graph.node[2].opType = "Softmax"
        XCTAssertThrowsError(try load(model)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("node '\(model.graph.node[2].name)': operator Softmax is not supported; Q3D supports "), message)
            XCTAssertTrue(message.contains("Conv, "), message)
        }
        model.graph.node[2].opType = "Sigmoid"
        model.graph.node[2].domain = "com.microsoft"
        XCTAssertThrowsError(try load(model)) { XCTAssertTrue("\($0)".contains("of domain 'com.microsoft'"), "\($0)") }
    }

    func testOpsetsOutsideTheSupportedRangeAreRefused() throws {
        var model = try fixture("conv1d.opset11.onnx")
        model.opsetImport[0].version = 10
        XCTAssertThrowsError(try load(model)) {
            XCTAssertEqual("\($0)", "the model uses ONNX opset 10; Q3D supports opsets 11 through 28")
        }
        model.opsetImport[0].version = 29
        XCTAssertThrowsError(try load(model))
    }

    func testComputedShapeInputsAndBadAttributesAreExplained() throws {
        var model = try fixture("dense.opset11.onnx")
        let reshape = try XCTUnwrap(model.graph.node.firstIndex { $0.opType == "Reshape" })
        model.graph.node[reshape].input[1] = "flat"
        XCTAssertThrowsError(try load(model)) {
            XCTAssertTrue("\($0)".contains("(Reshape): a computed shape ('flat'; Q3D needs it constant) is not supported"), "\($0)")
        }
        var conv = try fixture("conv3d.opset11.onnx")
        var pads = Onnx_AttributeProto()
        pads.name = "auto_pad"
        pads.type = .string
        pads.s = Data("SAME_MIDDLE".utf8)
        conv.graph.node[1].attribute.removeAll { $0.name == "pads" }
        conv.graph.node[1].attribute.append(pads)
        XCTAssertThrowsError(try load(conv)) { XCTAssertTrue("\($0)".contains("auto_pad 'SAME_MIDDLE'"), "\($0)") }
    }

    func testTruncatedAndEmptyFilesAreErrors() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(filePath: Fixtures.ops("conv3d.opset28.onnx"))))
        XCTAssertThrowsError(try ONNXImporter.load(bytes: Array(bytes.prefix(bytes.count / 2)))) {
            XCTAssertTrue($0 is ONNXError, "\($0)")
        }
        XCTAssertThrowsError(try ONNXImporter.load(bytes: [])) { XCTAssertTrue("\($0)".contains("no graph"), "\($0)") }
        XCTAssertThrowsError(try ONNXImporter.load(path: "/nonexistent/model.onnx")) {
            XCTAssertTrue("\($0)".hasPrefix("/nonexistent/model.onnx: cannot read"), "\($0)")
        }
    }

    func testExportRoundTripKeepsEveryOpFixture() throws {
        for (name, opsets) in Fixtures.opGroups {
            for opset in opsets {
                let graph = try ONNXImporter.load(path: Fixtures.ops("\(name).opset\(opset).onnx"))
                for exportOpset in [13, 17, 28] {
                    let again = try ONNXImporter.load(bytes: try ONNXExporter.export(graph, opset: exportOpset))
                    XCTAssertEqual(again.nodes.map(\.operation), graph.nodes.map(\.operation), "\(name) \(opset) -> \(exportOpset)")
                    XCTAssertEqual(again.initializers.filter { graph.initializers[$0.key] != nil }.count, graph.initializers.count)
                    XCTAssertEqual(again.outputs, graph.outputs, "\(name)")
                }
            }
        }
    }
}
