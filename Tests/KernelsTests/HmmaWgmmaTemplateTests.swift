import ConvGeometry
import CUDARuntime
import Foundation
import Synchronization
@testable import Kernels
import Tensors
import XCTest

/// The fp16 `wgmma` template: its space (the int8 `wgmma` rules over the fp16 byte geometry), its
/// rendering, emulated kernels against the float64 convolution, and an NVRTC sweep for sm_90a.
final class HmmaWgmmaTemplateTests: XCTestCase {
    func testSpacesExistOnlyOnSm90aAndHoldValidDefaults() throws {
        for (name, workload) in HmmaTemplateTests.workloads {
            let space = try HmmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            XCTAssertGreaterThan(space.validCount(), 50, name)
            let config = try HmmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90a)
            XCTAssertTrue(space.contains(config), "\(name) default \(config)")
            XCTAssertEqual(try HmmaWgmmaConv3DTemplate.violations(of: config, for: workload, on: .sm90a), [], name)
            for arch in [GPUArchitecture.sm80, .sm90] {
                XCTAssertThrowsError(try HmmaWgmmaConv3DTemplate.space(for: workload, on: arch)) { error in
                    XCTAssertTrue("\(error)".contains("sm_90a only"), "\(error)")
                }
            }
        }
        let grouped = try Conv3DParameters(
            batch: 1, inputChannels: 8, outputChannels: 16, input: Extent3(uniform: 4), kernel: Extent3(uniform: 3), groups: 2)
        XCTAssertThrowsError(try HmmaWgmmaConv3DTemplate.space(for: grouped, on: .sm90a)) { error in
            XCTAssertTrue("\(error)".contains("groups 2"), "\(error)")
        }
    }

    /// Twice the bytes per channel: r3d.l2's 128 channels are a 256-byte pixel, so its default takes
    /// 128-byte k-tiles of 64 channels, and a k-tile count twice the int8 one.
    func testValidityAgreesWithTheRulesOverTheHalfGeometry() throws {
        var rng = SeededGenerator(seed: 0x16A)
        for (name, workload) in HmmaTemplateTests.workloads {
            let space = try HmmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            for _ in 0..<200 {
                let point = try space.point(atRawIndex: Int.random(in: 0..<space.rawSize, using: &rng))
                let config = try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)
                let violations = try HmmaWgmmaConv3DTemplate.violations(of: config, for: workload, on: .sm90a)
                XCTAssertEqual(space.isValid(point), violations.isEmpty, "\(name) \(config): \(violations)")
                if violations.isEmpty {
                    XCTAssertNoThrow(try HmmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: .float32(relu: false)))
                }
            }
        }
        let stem = try XCTUnwrap(AnchorLayers.named("r3d.stem")).parameters  // C = 3: an 8-byte fp16 pixel
        let wide = ImmaWgmmaConv3DConfig(blockM: 128, blockN: 64, blockK: 128, warpgroups: 2, stages: 4, wgmmaInFlight: 1, inputVectorBytes: 16)
        XCTAssertThrowsError(try HmmaWgmmaConv3DTemplate.validate(wide, for: stem, on: .sm90a)) { error in
            XCTAssertTrue("\(error)".contains("16"), "\(error)")
        }
        XCTAssertThrowsError(try HmmaWgmmaConv3DTemplate.render(workload: stem, config: wide, output: .float32(relu: false))) { error in
            XCTAssertTrue("\(error)".contains("a_vector 16 bytes does not divide the input channel pitch 8"), "\(error)")
        }
        // The int8 template's persistent kernel and staged epilogue are not rendered here: the space excludes them.
        let l2 = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters
        var persistent = try HmmaWgmmaConv3DTemplate.defaultConfig(for: l2, on: .sm90a)
        XCTAssertEqual(persistent.persistent + persistent.stagedOutput, 0)
        persistent.persistent = 1
        XCTAssertTrue(try HmmaWgmmaConv3DTemplate.violations(of: persistent, for: l2, on: .sm90a).contains(.notRendered(knob: "persistent")))
        XCTAssertThrowsError(try HmmaWgmmaConv3DTemplate.render(workload: l2, config: persistent, output: .float32(relu: false)))
    }

    func testRenderingMultipliesFp16IntoFloatAccumulators() throws {
        let l2 = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters
        let config = ImmaWgmmaConv3DConfig(blockM: 128, blockN: 128, blockK: 128, warpgroups: 2, stages: 3, wgmmaInFlight: 1, splitK: 2)
        let kernel = try HmmaWgmmaConv3DTemplate.render(workload: l2, config: config, output: .float16(relu: true))
        XCTAssertEqual(kernel, try HmmaWgmmaConv3DTemplate.render(workload: l2, config: config, output: .float16(relu: true)))
        XCTAssertTrue(kernel.text.hasPrefix("// \(HmmaWgmmaConv3DTemplate.name) v\(HmmaWgmmaConv3DTemplate.version): fp16"))
        XCTAssertTrue(kernel.text.contains("wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {%0, %1,"))
        XCTAssertTrue(kernel.text.contains("%63}, %64, %65, p, 1, 1, 0, 0;"))
        XCTAssertTrue(kernel.text.contains("\"+f\"(d[0][0])"))
        XCTAssertTrue(kernel.text.contains("float acc[MB][NB][4];"))
        XCTAssertTrue(kernel.text.contains("q3d_register_fence(float& r)"))
        XCTAssertTrue(kernel.text.contains("float* partials = reinterpret_cast<float*>(workspace);"))
        XCTAssertTrue(kernel.text.contains("v0 = fmaxf(v0, 0.0f);"))
        XCTAssertTrue(kernel.text.contains("constexpr unsigned long long SWIZZLE_MODE = 1;"))
        // 128 channels of 2 bytes: a GEMM_K of 27 x 256 bytes, 54 k-tiles of 128 bytes.
        XCTAssertTrue(kernel.text.contains("GEMM_K = 6912"))
        XCTAssertEqual(kernel.parameters.map(\.role), [.input, .weight, .bias, .output, .workspace, .counters])
        XCTAssertEqual(kernel.parameters[0].kind, .buffer(element: .float16, count: l2.batch * l2.input.volume * 128, layout: .ndhwc, writable: false))
        XCTAssertEqual(kernel.dynamicSharedBytes, 3 * 256 * 128 + 1024)
        // The int8 kernel of the same config keeps its integer instruction and register fence only.
        let int8 = try ImmaWgmmaConv3DTemplate.render(workload: l2, config: config, output: .int32)
        XCTAssertTrue(int8.text.contains("wgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8"))
        XCTAssertFalse(int8.text.contains("float&"))
    }

    /// The default and sampled configs of small workloads (the odd one: C = 24, K = 40, dilation 2,
    /// asymmetric padding; a C = 3 stem with stride 1,2,2; C = 5, K = 6), a split-K config among them,
    /// run in the host emulation (whose `wgmma` checks every descriptor, swizzle and async-proxy fence,
    /// and multiplies fp16 operands into float accumulators) for the four outputs in turn: each equals
    /// the float64 convolution within the KernelCheck tolerance.
    func testEmulatedKernelsMatchTheFloatConvolution() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler for the host emulation") }
        let stem = try Conv3DParameters(
            batch: 1, inputChannels: 3, outputChannels: 16, input: Extent3(3, 12, 12), kernel: Extent3(3, 5, 5),
            stride: Extent3(1, 2, 2), padding: .explicit(Padding3D(symmetric: Extent3(1, 2, 2))))
        let narrow = try Conv3DParameters(
            batch: 2, inputChannels: 5, outputChannels: 6, input: Extent3(uniform: 4), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))
        var rng = SeededGenerator(seed: 0xE17)
        var cases: [(Conv3DParameters, ImmaWgmmaConv3DConfig, HmmaOutput, UInt64)] = []
        for (w, workload) in [ImmaEmulationTests.odd, stem, narrow].enumerated() {
            let space = try HmmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            var configs = [try HmmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90a)]
            configs += try space.sample(count: 2, using: &rng).map { try space.config(at: $0, as: ImmaWgmmaConv3DConfig.self) }
            if !configs.contains(where: { $0.splitK > 1 }) {
                var split = configs[0]
                split.splitK = 2
                if space.contains(split) { configs.append(split) }
            }
            for (i, config) in configs.enumerated() {
                cases.append((workload, config, HmmaCompileSweepTests.outputs[(i + w) % HmmaCompileSweepTests.outputs.count].1, UInt64(200 + 10 * w + i)))
            }
        }
        XCTAssertTrue(cases.contains { $0.1.splitK > 1 }, "a split-K case")
        let all = cases
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: all.count) { i in
            let (workload, config, output, seed) = all[i]
            do {
                let kernel = try HmmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
                let outcome = try HmmaEmulation.run(kernel, output: output, workload: workload, seed: seed)
                if outcome.mismatches > 0 {
                    failures.withLock { $0.append("\(workload) [\(config)] \(output) seed \(seed): \(outcome.mismatches) mismatches, \(outcome.first ?? "")") }
                }
            } catch {
                failures.withLock { $0.append("\(workload) [\(config)] \(output) seed \(seed): \(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        print("hmma_wgmma emulation: \(cases.count) kernels within tolerance of the float64 convolution")
    }

    /// The default and a uniform sample of each workload's space compile with NVRTC for sm_90a, without
    /// spills. `Q3D_HMMA_SWEEP=n`: n sampled configurations per workload (default 8).
    func testSampledConfigurationsCompileForSm90a() throws {
        guard (try? NVRTC.library(for: "sm_90a")) != nil else {
            throw XCTSkip("NVRTC for sm_90a not found; searched: \(NVRTC.searched().joined(separator: "; "))")
        }
        let perWorkload = ImmaCompileSweepTests.count("Q3D_HMMA_SWEEP", default: 8)
        var rng = SeededGenerator(seed: 0xF17)
        var cases: [ImmaCompileSweepTests.Case] = []
        for (name, workload) in HmmaTemplateTests.workloads {
            var configs = [(try HmmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90a), HmmaCompileSweepTests.outputs[1], true)]
            let space = try HmmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            for (i, point) in space.sample(count: perWorkload, using: &rng).enumerated() {
                configs.append((try space.config(at: point, as: ImmaWgmmaConv3DConfig.self), HmmaCompileSweepTests.outputs[i % HmmaCompileSweepTests.outputs.count], false))
            }
            for (config, output, isDefault) in configs {
                cases.append(.init(name: name, arch: "sm_90a", config: "\(config) \(output.1)", output: output.0, isDefault: isDefault) {
                    try HmmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output.1)
                })
            }
        }
        try ImmaCompileSweepTests.compileAll(cases, label: "hmma_wgmma f16")
    }
}
