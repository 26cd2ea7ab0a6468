import ConvGeometry
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// The dp4a renderer: golden sources, determinism, and what a runner reads off a `KernelSource`.
final class Dp4aRenderTests: XCTestCase {
    /// Three fixed kernels that together take every branch of the renderer: the int8 epilogue with
    /// ReLU and residual, channels past K, groups, int32 output, both thread bindings, all three unroll
    /// steps, ragged cooperative loads.
    static func goldenCases() throws -> [(file: String, workload: Conv3DParameters, config: Dp4aConv3DConfig, output: OutputKind)] {
        let odd = try XCTUnwrap(AnchorLayers.verificationSet().last).parameters  // C 24, K 40, 9^3, dilation 2
        let ragged = try Dp4aSpaceTests.conv(
            n: 2, c: 5, k: 6, input: Extent3(5, 9, 11), kernel: Extent3(2, 3, 3), stride: Extent3(2, 1, 3),
            dilation: Extent3(1, 2, 3), pad: [0, 2, 1, 1, 0, 3])
        let grouped = try Dp4aSpaceTests.conv(
            n: 2, c: 16, k: 24, input: Extent3(5, 7, 7), kernel: Extent3(uniform: 3), stride: Extent3(uniform: 2),
            pad: [1], groups: 2)
        return [
            ("dp4a_conv3d_odd.cu", odd, Dp4aConv3DConfig(
                tileF: .init(block: 2, virtualThread: 1, thread: 5, inner: 1), tileD: .init(block: 7, virtualThread: 1, thread: 1, inner: 1),
                tileY: .init(block: 1, virtualThread: 2, thread: 1, inner: 4), tileX: .init(block: 1, virtualThread: 1, thread: 7, inner: 1),
                tileRC: .init(outer: 3, inner: 2), tileRD: .init(outer: 3, inner: 1), tileRY: .init(outer: 3, inner: 1),
                tileRX: .init(outer: 1, inner: 3), reorderInner: [2, 0, 3, 1], fuseYX: true, autoUnrollMaxStep: 512),
             .int8(relu: true, residual: true)),
            ("dp4a_conv3d_ragged.cu", ragged, Dp4aConv3DConfig(
                tileF: .init(block: 1, virtualThread: 1, thread: 2, inner: 1), tileD: .init(block: 1, virtualThread: 1, thread: 3, inner: 1),
                tileY: .init(block: 1, virtualThread: 1, thread: 7, inner: 1), tileX: .init(block: 1, virtualThread: 1, thread: 1, inner: 3),
                tileRC: .init(outer: 1, inner: 2), tileRD: .init(outer: 2, inner: 1), tileRY: .init(outer: 1, inner: 3),
                tileRX: .init(outer: 1, inner: 3), reorderInner: [3, 2, 1, 0], fuseYX: false, autoUnrollMaxStep: 1500),
             .int8(relu: true, residual: false)),
            ("dp4a_conv3d_grouped.cu", grouped, Dp4aConv3DConfig(
                tileF: .init(block: 2, virtualThread: 1, thread: 3, inner: 1), tileD: .init(block: 1, virtualThread: 1, thread: 3, inner: 1),
                tileY: .init(block: 1, virtualThread: 2, thread: 2, inner: 1), tileX: .init(block: 1, virtualThread: 1, thread: 4, inner: 1),
                tileRC: .init(outer: 1, inner: 2), tileRD: .init(outer: 3, inner: 1), tileRY: .init(outer: 1, inner: 3),
                tileRX: .init(outer: 3, inner: 1), reorderInner: [0, 1, 2, 3], fuseYX: true, autoUnrollMaxStep: 0),
             .int32),
        ]
    }

    /// The rendered sources of the golden cases, byte for byte. Set `Q3D_UPDATE_GOLDEN=1` to rewrite
    /// the files after an intended change (and bump ``Dp4aConv3DTemplate/version``).
    func testGoldenSources() throws {
        for c in try Self.goldenCases() {
            XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: c.config, for: c.workload, on: .sm90), [], c.file)
            let kernel = try Dp4aConv3DTemplate.render(workload: c.workload, config: c.config, output: c.output)
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(c.file)")
            if ProcessInfo.processInfo.environment["Q3D_UPDATE_GOLDEN"] == "1" {
                try kernel.text.write(to: url, atomically: true, encoding: .utf8)
            }
            let golden = try String(contentsOf: url, encoding: .utf8)
            XCTAssertEqual(kernel.text, golden, "rendered source differs from \(url.path); Q3D_UPDATE_GOLDEN=1 rewrites it")
        }
    }

    func testRenderingIsDeterministicAndSelfDescribing() throws {
        for c in try Self.goldenCases() {
            let first = try Dp4aConv3DTemplate.render(workload: c.workload, config: c.config, output: c.output)
            let decoded = try JSONDecoder().decode(Dp4aConv3DConfig.self, from: JSONEncoder().encode(c.config))
            XCTAssertEqual(first, try Dp4aConv3DTemplate.render(workload: c.workload, config: decoded, output: c.output))
            let lines = first.text.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(String(lines[0]), "// Q3D kernel template dp4a_conv3d_ncdhw4c, version \(Dp4aConv3DTemplate.version)")
            let workloadJSON = try XCTUnwrap(lines[1].split(separator: "// workload: ").last)
            XCTAssertEqual(try JSONDecoder().decode(Conv3DParameters.self, from: Data(workloadJSON.utf8)), c.workload)
            let configJSON = try XCTUnwrap(lines[2].split(separator: "// config: ").last)
            XCTAssertEqual(try JSONDecoder().decode(Dp4aConv3DConfig.self, from: Data(configJSON.utf8)), c.config)
            XCTAssertTrue(first.text.contains("extern \"C\" __global__ void __launch_bounds__(\(first.block.volume)) \(first.name)("))
            XCTAssertFalse(first.text.contains("#include"))
            XCTAssertEqual(first.template, Dp4aConv3DTemplate.name)
            XCTAssertEqual(first.dynamicSharedBytes, 0)
            let plan = try Dp4aConv3DPlan(workload: c.workload, config: c.config)
            XCTAssertEqual(first.grid, plan.resources.grid)
            XCTAssertEqual(first.block, plan.resources.block)
            XCTAssertEqual(first.staticSharedBytes, plan.resources.sharedBytes)
        }
    }

    /// Names are C identifiers and differ whenever the source does: across output kinds, workloads and
    /// configurations.
    func testKernelNamesAreIdentifiersAndUnique() throws {
        var seen: [String: String] = [:]
        var rng = SeededGenerator(seed: 5)
        let outputs: [OutputKind] = [.int32, .int8(relu: false, residual: false), .int8(relu: true, residual: true)]
        for layer in AnchorLayers.verificationSet() {
            let space = try Dp4aConv3DTemplate.space(for: layer.parameters, on: .sm90)
            for point in space.sampleByRejection(count: 20, using: &rng) {
                let config = try space.config(at: point, as: Dp4aConv3DConfig.self)
                for output in outputs {
                    let kernel = try Dp4aConv3DTemplate.render(workload: layer.parameters, config: config, output: output)
                    XCTAssertTrue(kernel.name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }, kernel.name)
                    if let other = seen[kernel.name] { XCTAssertEqual(other, kernel.text, kernel.name) }
                    seen[kernel.name] = kernel.text
                }
            }
        }
        XCTAssertEqual(seen.count, 4 * 20 * 3)
    }

    func testParametersFollowTheOutputKind() throws {
        let (p, config) = try Dp4aSpaceTests.baseline()
        func roles(_ output: OutputKind) throws -> [KernelParameter.Role] {
            try Dp4aConv3DTemplate.render(workload: p, config: config, output: output).parameters.map(\.role)
        }
        XCTAssertEqual(try roles(.int32), [.input, .weight, .output])
        XCTAssertEqual(try roles(.int8(relu: true, residual: false)), [.input, .weight, .output, .scale, .bias])
        XCTAssertEqual(
            try roles(.int8(relu: false, residual: true)), [.input, .weight, .output, .scale, .bias, .residual, .residualScale])
        let kernel = try Dp4aConv3DTemplate.render(workload: p, config: config, output: .int32)
        // r3d.l2: N 8, C 128, K 128, 8x28x28, 3x3x3.
        XCTAssertEqual(kernel.parameters[0].kind, .buffer(element: .int8, count: 8 * 128 * 8 * 28 * 28, layout: .ncdhwc(block: 4), writable: false))
        XCTAssertEqual(kernel.parameters[1].kind, .buffer(element: .int8, count: 128 * 128 * 27, layout: .oidhwoi(outBlock: 4, inBlock: 4), writable: false))
        XCTAssertEqual(kernel.parameters[2].kind, .buffer(element: .int32, count: 8 * 128 * 8 * 28 * 28, layout: .ncdhwc(block: 4), writable: true))
    }

    /// The epilogue is `Epilogue.apply` spelled in CUDA: one explicit fused multiply-add per step and no
    /// other float arithmetic the compiler could contract.
    func testEpilogueArithmetic() throws {
        let (p, config) = try Dp4aSpaceTests.baseline()
        let text = try Dp4aConv3DTemplate.render(workload: p, config: config, output: .int8(relu: true, residual: true)).text
        XCTAssertTrue(text.contains("float v = __fmaf_rn(__int2float_rn(acc), scale, bias);"))
        XCTAssertTrue(text.contains("v = __fmaf_rn(__int2float_rn(residual), residual_scale, v);"))
        XCTAssertTrue(text.contains("v = fmaxf(v, 0.0f);"))
        XCTAssertTrue(text.contains("const int r = __float2int_rn(v);"))
        XCTAssertFalse(text.contains("__dp4a("), "dp4a goes through inline PTX, which compiles under -G too")
        let plain = try Dp4aConv3DTemplate.render(workload: p, config: config, output: .int8(relu: false, residual: false)).text
        XCTAssertFalse(plain.contains("fmaxf"))
        XCTAssertFalse(plain.contains("residual"))
    }

    /// The unroll knob: no pragma on reduction loops at 0, full unrolling within the step budget.
    func testUnrollPragmas() throws {
        let (p, base) = try Dp4aSpaceTests.baseline()
        func pragmas(_ step: Int) throws -> [String] {
            var config = base
            config.autoUnrollMaxStep = step
            let text = try Dp4aConv3DTemplate.render(workload: p, config: config, output: .int32).text
            let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            return zip(lines, lines.dropFirst()).compactMap { pragma, loop in
                loop.hasPrefix("for (int r") ? (pragma.hasPrefix("#pragma") ? pragma : "none") : nil
            }
        }
        let rolled = "#pragma unroll 1", unrolled = "#pragma unroll"
        XCTAssertEqual(try pragmas(0), Array(repeating: "none", count: 8))
        // Outer loops rd 3, rc 8, rx 1, ry 1; inner loops rd 1, rc 4, rx 3, ry 3 (order [1, 0, 3, 2]).
        // Inner steps count 16 accumulators per step: 576, 576, 144, 48. An outer step adds 4 + 2
        // iterations of the cooperative loads: 582 for the two innermost outer loops.
        XCTAssertEqual(try pragmas(512), [rolled, rolled, rolled, rolled, rolled, rolled, unrolled, unrolled])
        XCTAssertEqual(try pragmas(1500), [rolled, rolled, unrolled, unrolled, unrolled, unrolled, unrolled, unrolled])
    }
}
