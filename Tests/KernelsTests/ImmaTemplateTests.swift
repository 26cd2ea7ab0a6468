import ConvGeometry
import Foundation
@testable import Kernels
import Tensors
import XCTest

final class ImmaTemplateTests: XCTestCase {
    static let archs: [GPUArchitecture] = [.sm80, .sm90]

    /// The nine anchor layers and the odd workload of the compile sweep.
    static var workloads: [(name: String, workload: Conv3DParameters)] {
        AnchorLayers.all().map { ($0.name, $0.parameters) } + [("odd", ImmaEmulationTests.odd)]
    }

    func testSpacesAreNonEmptyAndTheirRawSizeIsTheProductOfTheKnobs() throws {
        let raw = ImmaConv3DTemplate.knobs.map(\.candidateCount).reduce(1, *)
        XCTAssertEqual(raw, 4 * 9 * 3 * 3 * 4 * 3 * 8 * 3 * 4)
        for (name, workload) in Self.workloads {
            for arch in Self.archs {
                let space = try ImmaConv3DTemplate.space(for: workload, on: arch)
                XCTAssertEqual(space.rawSize, raw)
                XCTAssertGreaterThan(space.validCount(), 100, "\(name) on \(arch)")
                XCTAssertFalse(space.rules.isEmpty)
            }
        }
    }

    /// The space's validity agrees with the rules on random raw points, valid or not, and every valid
    /// point renders.
    func testValidityAgreesWithTheRulesAndValidPointsRender() throws {
        var rng = SeededGenerator(seed: 42)
        for (name, workload) in Self.workloads {
            for arch in Self.archs {
                let space = try ImmaConv3DTemplate.space(for: workload, on: arch)
                var valid = 0
                for _ in 0..<300 {
                    let point = try space.point(atRawIndex: Int.random(in: 0..<space.rawSize, using: &rng))
                    let config = try space.config(at: point, as: ImmaConv3DConfig.self)
                    let violations = try ImmaConv3DTemplate.violations(of: config, for: workload, on: arch)
                    XCTAssertEqual(space.isValid(point), violations.isEmpty, "\(name) \(arch) \(config): \(violations)")
                    if violations.isEmpty {
                        valid += 1
                        XCTAssertNoThrow(try ImmaConv3DTemplate.render(workload: workload, config: config, output: .int32))
                    } else {
                        XCTAssertThrowsError(try ImmaConv3DTemplate.validate(config, for: workload, on: arch))
                    }
                }
                for point in space.sample(count: 20, using: &rng) {
                    let config = try space.config(at: point, as: ImmaConv3DConfig.self)
                    XCTAssertEqual(try ImmaConv3DTemplate.violations(of: config, for: workload, on: arch), [], "\(name) \(config)")
                }
            }
        }
    }

    func testRulesNameTheLimitTheyEnforce() throws {
        let l2 = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters
        let huge = ImmaConv3DConfig(blockM: 256, blockN: 256, blockK: 128, warpsM: 1, warpsN: 1, stages: 4)
        let found = try ImmaConv3DTemplate.violations(of: huge, for: l2, on: .sm80)
        XCTAssertTrue(found.contains(.accumulators(2048, limit: 128)), "\(found)")
        XCTAssertTrue(found.contains(.sharedMemory(bytes: 262_144, limit: 163 * 1024)), "\(found)")
        let stem = try XCTUnwrap(AnchorLayers.named("r3d.stem")).parameters
        let wide = ImmaConv3DConfig(blockM: 128, blockN: 64, blockK: 64, warpsM: 2, warpsN: 2, stages: 3, inputVectorBytes: 16)
        XCTAssertEqual(try ImmaConv3DTemplate.violations(of: wide, for: stem, on: .sm90), [.inputVector(bytes: 16, pitch: 4)])
        XCTAssertThrowsError(try ImmaConv3DTemplate.render(workload: stem, config: wide, output: .int32)) { error in
            guard case KernelsError.configMismatch = error else { return XCTFail("\(error)") }
        }
        var odd = wide
        odd.blockK = 48
        XCTAssertThrowsError(try ImmaConv3DTemplate.violations(of: odd, for: l2, on: .sm90))
    }

    func testUnsupportedWorkloadsAndArchitecturesAreRefused() throws {
        let l1 = try XCTUnwrap(AnchorLayers.named("r3d.l1")).parameters
        XCTAssertThrowsError(try ImmaConv3DTemplate.space(for: l1, on: .sm75)) { error in
            guard case KernelsError.unsupportedWorkload = error else { return XCTFail("\(error)") }
        }
        // Groups of 2 channels: no cp.async reaches group 1's first channel (ImmaGroupedTests has the rest).
        let grouped = try Conv3DParameters(
            batch: 1, inputChannels: 8, outputChannels: 8, input: Extent3(uniform: 4), kernel: Extent3(uniform: 1), groups: 4)
        XCTAssertThrowsError(try ImmaConv3DTemplate.space(for: grouped, on: .sm90)) { error in
            XCTAssertTrue("\(error)".contains("C/G = 2"), "\(error)")
        }
    }

    func testDefaultConfigurationsAreValidPointsOfTheirSpaces() throws {
        for (name, workload) in Self.workloads {
            for arch in Self.archs {
                let config = try ImmaConv3DTemplate.defaultConfig(for: workload, on: arch)
                XCTAssertEqual(try ImmaConv3DTemplate.violations(of: config, for: workload, on: arch), [], "\(name) \(arch)")
                XCTAssertTrue(try ImmaConv3DTemplate.space(for: workload, on: arch).contains(config), "\(name) \(arch)")
            }
        }
        let l4 = try XCTUnwrap(AnchorLayers.named("r3d.l4")).parameters
        XCTAssertGreaterThan(try ImmaConv3DTemplate.defaultConfig(for: l4, on: .sm90).splitK, 1, "784 rows need split-K")
        let stem = try XCTUnwrap(AnchorLayers.named("r3d.stem")).parameters
        XCTAssertEqual(try ImmaConv3DTemplate.defaultConfig(for: stem, on: .sm90).inputVectorBytes, 4)
    }

    func testRenderingIsDeterministicAndTheHeaderExplainsTheKernel() throws {
        let l3 = try XCTUnwrap(AnchorLayers.named("r3d.l3")).parameters
        let config = try ImmaConv3DTemplate.defaultConfig(for: l3, on: .sm90)
        let output = OutputKind.int8(relu: true, residual: true)
        let a = try ImmaConv3DTemplate.render(workload: l3, config: config, output: output)
        let b = try ImmaConv3DTemplate.render(workload: l3, config: config, output: output)
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.text.hasPrefix("// \(ImmaConv3DTemplate.name) v\(ImmaConv3DTemplate.version)"))
        XCTAssertTrue(a.text.contains(config.json))
        XCTAssertTrue(a.text.contains("// workload: \(l3)"))
        XCTAssertTrue(a.text.contains("extern \"C\" __global__ void __launch_bounds__(THREADS, 1)\n\(a.name)("))
        XCTAssertFalse(a.text.contains("#include"))
        var other = config
        other.stages = config.stages == 4 ? 3 : 4
        XCTAssertNotEqual(try ImmaConv3DTemplate.render(workload: l3, config: other, output: output).name, a.name)
        XCTAssertNotEqual(try ImmaConv3DTemplate.render(workload: l3, config: config, output: .int32).name, a.name)
    }

    func testParametersFollowTheOutputKindAndSplitK() throws {
        let l4 = try XCTUnwrap(AnchorLayers.named("r3d.l4")).parameters
        var config = ImmaConv3DConfig(blockM: 64, blockN: 128, blockK: 64, warpsM: 2, warpsN: 2, stages: 3, splitK: 4)
        let fused = try ImmaConv3DTemplate.render(workload: l4, config: config, output: .int8(relu: true, residual: true))
        XCTAssertEqual(fused.parameters.map(\.role), [.input, .weight, .scale, .bias, .residual, .residualScale, .output, .workspace, .counters])
        XCTAssertEqual(fused.grid, LaunchDimensions(x: 13 * 4, y: 4))
        XCTAssertEqual(fused.block, LaunchDimensions(x: 128))
        XCTAssertEqual(fused.dynamicSharedBytes, 3 * (64 + 128) * 64)
        if case let .buffer(_, count, _, _) = fused.parameters[7].kind { XCTAssertEqual(count, 52 * 4 * 64 * 128) }
        config.splitK = 1
        let plain = try ImmaConv3DTemplate.render(workload: l4, config: config, output: .int32)
        XCTAssertEqual(plain.parameters.map(\.role), [.input, .weight, .output])
        if case let .buffer(element, count, layout, writable) = plain.parameters[2].kind {
            XCTAssertEqual(element, .int32)
            XCTAssertEqual(count, 8 * 2 * 7 * 7 * 512)
            XCTAssertEqual(layout, .ndhwc)
            XCTAssertTrue(writable)
        }
    }

    /// The rendered source of one fixed configuration, byte for byte. Set `Q3D_UPDATE_GOLDEN=1` to
    /// rewrite the file after an intended change (and bump ``ImmaConv3DTemplate/version``).
    func testGoldenSource() throws {
        let config = ImmaConv3DConfig(blockM: 64, blockN: 48, blockK: 64, warpsM: 2, warpsN: 3, stages: 3, splitK: 2, inputVectorBytes: 8, rasterGroup: 4)
        let kernel = try ImmaConv3DTemplate.render(workload: ImmaEmulationTests.odd, config: config, output: .int8(relu: true, residual: true))
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/imma_conv3d_odd.cu")
        if ProcessInfo.processInfo.environment["Q3D_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try kernel.text.write(to: url, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(kernel.text, golden, "rendered source differs from \(url.path); Q3D_UPDATE_GOLDEN=1 rewrites it")
    }
}
