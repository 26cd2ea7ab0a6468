import ConvGeometry
import Kernels
import Tensors
import XCTest

@testable import Engine

/// Implementation and config choice on described GPUs: no GPU is needed, the spaces are pure.
final class Conv3DDispatcherTests: XCTestCase {
    let layer = AnchorLayers.named("r3d.l1", batch: 1)!.parameters

    func query(_ p: Conv3DParameters? = nil, dtype: ConvElementType = .int8, device: DeviceRequest = .auto) -> Conv3DQuery {
        Conv3DQuery(parameters: p ?? layer, dtype: dtype, device: device)
    }

    func dispatcher(_ arch: GPUArchitecture?, registry: Conv3DRegistry = .standard) -> Conv3DDispatcher {
        Conv3DDispatcher(
            registry: registry,
            environment: arch.map { .cuda(arch: $0, name: "fake \($0)") } ?? .cpuOnly(reason: "no CUDA driver (test)"))
    }

    func testInt8PrefersTensorCoresThenDp4aThenTheCPU() throws {
        let expected: [(GPUArchitecture?, String, String?)] = [
            (.sm90a, "imma_wgmma", nil),
            (.sm90, "imma", "imma_wgmma"),
            (.sm80, "imma", "imma_wgmma"),
            (.sm75, "dp4a", "imma"),
            (.sm61, "dp4a", "imma"),
            (nil, "fast", "dp4a"),
        ]
        for (arch, impl, rejectedImpl) in expected {
            let choice = try dispatcher(arch).choose(impl: "auto", query: query())
            XCTAssertEqual(choice.impl, impl, "\(arch?.description ?? "no GPU")")
            if let rejectedImpl {
                let why = choice.rejected.first { $0.impl == rejectedImpl }?.reason
                XCTAssertNotNil(why, "\(impl) on \(arch?.description ?? "cpu"): \(choice.rejected)")
                XCTAssertTrue(choice.reason.contains("rejected: "), choice.reason)
            }
            XCTAssertEqual(choice.configSource, "default")
            XCTAssertEqual(choice.config == nil, arch == nil, "GPU templates report their default config")
        }
        let onSm80 = try dispatcher(.sm80).choose(impl: "auto", query: query())
        XCTAssertEqual(
            onSm80.rejected.first { $0.impl == "imma_wgmma" }?.reason, "needs sm_90a; the GPU is sm_80")
        let onSm75 = try dispatcher(.sm75).choose(impl: "auto", query: query())
        XCTAssertEqual(onSm75.rejected.first { $0.impl == "imma" }?.reason, "needs sm_80 or later; the GPU is sm_75")
        let cpu = try dispatcher(nil).choose(impl: "auto", query: query())
        XCTAssertEqual(cpu.device, .cpu)
        XCTAssertEqual(cpu.note, "note: no CUDA driver (test); running on the CPU")
    }

    func testShapeConditionsRejectWithoutAsserting() throws {
        // Depthwise: the tensor-core templates take no group of fewer than 4 channels; their spaces say so.
        let depthwise = try Conv3DParameters(
            batch: 1, inputChannels: 32, outputChannels: 32, input: Extent3(4, 14, 14), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))), groups: 32)
        let choice = try dispatcher(.sm90a).choose(impl: "auto", query: query(depthwise))
        XCTAssertNotEqual(choice.impl, "imma")
        XCTAssertNotEqual(choice.impl, "imma_wgmma")
        let immaWhy = try XCTUnwrap(choice.rejected.first { $0.impl == "imma" }?.reason)
        XCTAssertTrue(immaWhy.contains("C/G = 1"), immaWhy)
        XCTAssertThrowsError(try dispatcher(.sm90a).choose(impl: "imma", query: query(depthwise))) {
            XCTAssertTrue("\($0)".hasPrefix("implementation 'imma' cannot run this convolution: "), "\($0)")
        }
    }

    /// Grouped int8 convolutions (1 < G < C, C/G a multiple of 4) run on the tensor-core templates.
    func testGroupedInt8RunsOnTensorCores() throws {
        for layer in AnchorLayers.groupedSet(batch: 1) {
            XCTAssertEqual(try dispatcher(.sm90a).choose(impl: "auto", query: query(layer.parameters)).impl, "imma_wgmma", layer.name)
            let onSm80 = try dispatcher(.sm80).choose(impl: "auto", query: query(layer.parameters))
            XCTAssertEqual(onSm80.impl, "imma", layer.name)
            XCTAssertNotNil(onSm80.config, layer.name)
        }
    }

    func testFloatRunsOnFp16TensorCoresWithAGPUElseOnTheCPU() throws {
        let onHopper = try dispatcher(.sm90a).choose(impl: "auto", query: query(dtype: .float32))
        XCTAssertEqual(onHopper.impl, "hmma_wgmma")
        XCTAssertNotNil(onHopper.config, "hmma_wgmma reports its default config")
        XCTAssertEqual(onHopper.rejected.first { $0.impl == "imma" }?.reason, "computes int8, not float32")
        let onGPU = try dispatcher(.sm80).choose(impl: "auto", query: query(dtype: .float32))
        XCTAssertEqual(onGPU.impl, "hmma")
        XCTAssertNotNil(onGPU.config, "hmma reports its default config")
        XCTAssertTrue(try XCTUnwrap(onGPU.rejected.first { $0.impl == "hmma_wgmma" }?.reason).contains("sm_90a"), "\(onGPU.rejected)")
        let onTuring = try dispatcher(.sm75).choose(impl: "auto", query: query(dtype: .float32))
        XCTAssertEqual(onTuring.impl, "fast")
        XCTAssertEqual(onTuring.rejected.first { $0.impl == "hmma" }?.reason, "needs sm_80 or later; the GPU is sm_75")
        XCTAssertThrowsError(try dispatcher(.sm75).choose(impl: "auto", query: query(dtype: .float32, device: .cuda))) {
            XCTAssertTrue("\($0)".contains("no implementation takes it"), "\($0)")
        }
        // int8 never goes to hmma: it is not exact.
        let int8 = try dispatcher(.sm90a).choose(impl: "auto", query: query())
        XCTAssertEqual(int8.rejected.first { $0.impl == "hmma" }?.reason, "computes float32, not int8")
        XCTAssertEqual(int8.rejected.first { $0.impl == "hmma_wgmma" }?.reason, "computes float32, not int8")
    }

    func testDepthwiseRunsOnItsOwnTemplate() throws {
        let depthwise = try Conv3DParameters(
            batch: 1, inputChannels: 32, outputChannels: 32, input: Extent3(4, 14, 14), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))), groups: 32)
        XCTAssertEqual(try dispatcher(.sm90a).choose(impl: "auto", query: query(depthwise)).impl, "dw")
        XCTAssertEqual(try dispatcher(.sm61).choose(impl: "auto", query: query(depthwise)).impl, "dw")
        let dense = try dispatcher(.sm90a).choose(impl: "auto", query: query())
        XCTAssertEqual(dense.impl, "imma_wgmma")
        XCTAssertNotNil(dense.rejected.first { $0.impl == "dw" }?.reason, "dw takes depthwise convolutions only")
    }

    func testInt8NeverRoutesToALossyAlgorithm() throws {
        var registry = Conv3DRegistry.standard
        registry.implementations.append(
            Conv3DImplementation(
                name: "winograd", device: .cuda, dtypes: [.int8, .float32], layout: .ncdhw, priority: 10_000,
                isExact: false))
        let int8 = try dispatcher(.sm90a, registry: registry).choose(impl: "auto", query: query())
        XCTAssertEqual(int8.impl, "imma_wgmma")
        XCTAssertEqual(int8.rejected.first { $0.impl == "winograd" }?.reason, "lossy algorithm; int8 must be exact")
        XCTAssertThrowsError(try dispatcher(.sm90a, registry: registry).choose(impl: "winograd", query: query())) {
            XCTAssertEqual("\($0)", "implementation 'winograd' cannot run this convolution: lossy algorithm; int8 must be exact")
        }
        // Float may take it: its results are compared with a tolerance anyway.
        let float = try dispatcher(.sm90a, registry: registry).choose(impl: "auto", query: query(dtype: .float32))
        XCTAssertEqual(float.impl, "winograd")
    }

    /// The halo template ranks below imma_wgmma (auto keeps choosing the implicit GEMM until a tuning log
    /// says otherwise), runs stride-1 layers when named, and is rejected with its reason elsewhere.
    func testTheHaloTemplateRunsWhenNamedOnly() throws {
        let auto = try dispatcher(.sm90a).choose(impl: "auto", query: query())
        XCTAssertEqual(auto.impl, "imma_wgmma")
        let halo = try dispatcher(.sm90a).choose(impl: "imma_halo", query: query())
        XCTAssertEqual(halo.impl, "imma_halo")
        XCTAssertEqual(halo.configSource, "default")
        XCTAssertTrue(halo.config?.contains("\"tile_x\":8") ?? false, "\(halo.config ?? "nil")")
        let stem = AnchorLayers.named("r3d.stem", batch: 1)!.parameters
        XCTAssertThrowsError(try dispatcher(.sm90a).choose(impl: "imma_halo", query: query(stem))) {
            XCTAssertTrue("\($0)".contains("stride 1x2x2"), "\($0)")
        }
        XCTAssertThrowsError(try dispatcher(.sm90).choose(impl: "imma_halo", query: query())) {
            XCTAssertEqual("\($0)", "implementation 'imma_halo' cannot run this convolution: needs sm_90a; the GPU is sm_90")
        }
    }

    func testNamedImplementationsAndDevices() throws {
        XCTAssertThrowsError(try dispatcher(.sm80).choose(impl: "fast", query: query(device: .cuda))) {
            XCTAssertEqual("\($0)", "implementation 'fast' runs on the cpu, but --device cuda was asked for")
        }
        XCTAssertThrowsError(try dispatcher(nil).choose(impl: "dp4a", query: query())) {
            XCTAssertEqual("\($0)", "CUDA is not available: no CUDA driver (test)")
        }
        XCTAssertThrowsError(try dispatcher(.sm80).choose(impl: "imma_wgmma", query: query())) {
            XCTAssertEqual("\($0)", "implementation 'imma_wgmma' cannot run this convolution: needs sm_90a; the GPU is sm_80")
        }
        XCTAssertThrowsError(try dispatcher(.sm80).choose(impl: "nope", query: query())) {
            XCTAssertTrue("\($0)".hasPrefix("unknown implementation 'nope'; expected one of auto, dw, imma_wgmma, imma_halo, imma, dp4a"), "\($0)")
        }
        let dp4a = try dispatcher(.sm80).choose(impl: "dp4a", query: query())
        XCTAssertEqual(dp4a.reason, "asked for by name")
        XCTAssertEqual(dp4a.configSource, "default")
    }

    /// `count` distinct valid configs of template `impl` on `arch`, drawn with `seed`, as JSON.
    func configs(_ impl: String, on arch: GPUArchitecture, count: Int, seed: UInt64 = 11) throws -> [String] {
        let space = try KernelCatalog.space(impl: impl, workload: layer, arch: arch)
        var rng = SeededGenerator(seed: seed)
        return try space.sample(count: count, using: &rng).map {
            try KernelCatalog.configJSON(impl: impl, space: space, point: $0)
        }
    }

    func testARecordInvalidHereIsSkippedAndTheNextBestUsed() throws {
        // Configs measured on an H100 (227 KiB of shared memory per block), applied on an RTX 3090 (99 KiB).
        let here = GPUArchitecture.sm86
        let space = try KernelCatalog.space(impl: "imma", workload: layer, arch: here)
        func validHere(_ json: String) -> Bool {
            guard let point = try? KernelCatalog.pointForJSON(impl: "imma", json: json, space: space, workload: layer, arch: here)
            else { return false }
            return space.isValid(point)
        }
        let sample = try configs("imma", on: .sm90a, count: 300)
        let invalid = try XCTUnwrap(sample.first { !validHere($0) }, "no sm_90a imma config is invalid on sm_86 (seed 11)")
        let valid = try XCTUnwrap(sample.first { validHere($0) })
        let tuned = [
            TunedConfig(impl: "imma", configJSON: invalid, milliseconds: 0.1, arch: "sm_90a", deviceName: "H100"),
            TunedConfig(impl: "imma", configJSON: valid, milliseconds: 0.3, arch: "sm_90a", deviceName: "H100"),
            TunedConfig(impl: "imma", configJSON: "{not json", milliseconds: 0.05, arch: "sm_86", deviceName: "RTX 3090"),
        ]
        let choice = try dispatcher(here).choose(impl: "auto", query: query(), tuned: tuned)
        XCTAssertEqual(choice.impl, "imma")
        XCTAssertEqual(choice.configSource, "tuning-log")
        XCTAssertEqual(choice.config, valid)
        XCTAssertEqual(choice.warnings.count, 2, "\(choice.warnings)")
        XCTAssertTrue(choice.warnings[0].contains("RTX 3090 (sm_86)"), choice.warnings[0])
        XCTAssertTrue(choice.warnings[1].contains("H100 (sm_90a), not valid on sm_86"), choice.warnings[1])
        // A record timed on another architecture gives a config but does not rank implementations here.
        XCTAssertTrue(choice.reason.hasPrefix("highest priority"), choice.reason)
    }

    func testTheFastestRecordPicksConfigAndImplementation() throws {
        let dp4a = try configs("dp4a", on: .sm80, count: 3)
        let immaDefault = try XCTUnwrap(try dispatcher(.sm80).choose(impl: "imma", query: query()).config)
        var tuned = [
            TunedConfig(impl: "dp4a", configJSON: dp4a[0], milliseconds: 0.9, arch: "sm_80", deviceName: "A100"),
            TunedConfig(impl: "dp4a", configJSON: dp4a[1], milliseconds: 0.4, arch: "sm_80", deviceName: "A100"),
            TunedConfig(impl: "dp4a", configJSON: dp4a[2], milliseconds: .infinity, arch: "sm_80", deviceName: "A100"),
        ]
        // Only dp4a is timed here: it wins over the untimed higher-priority imma.
        var choice = try dispatcher(.sm80).choose(impl: "auto", query: query(), tuned: tuned)
        XCTAssertEqual(choice.impl, "dp4a")
        XCTAssertEqual(choice.config, dp4a[1])
        XCTAssertTrue(choice.reason.hasPrefix("fastest in the tuning log on sm_80 (0.4 ms)"), choice.reason)
        tuned.append(TunedConfig(impl: "imma", configJSON: immaDefault, milliseconds: 0.2, arch: "sm_80", deviceName: "A100"))
        choice = try dispatcher(.sm80).choose(impl: "auto", query: query(), tuned: tuned)
        XCTAssertEqual(choice.impl, "imma")
        XCTAssertEqual(choice.configSource, "tuning-log")
        XCTAssertTrue(choice.reason.hasPrefix("fastest in the tuning log on sm_80 (0.2 ms; dp4a 0.4 ms)"), choice.reason)
        // Without records the default config, by priority.
        choice = try dispatcher(.sm80).choose(impl: "auto", query: query(), tuned: [])
        XCTAssertEqual(choice.impl, "imma")
        XCTAssertEqual(choice.config, immaDefault)
        XCTAssertEqual(choice.configSource, "default")
    }
}
