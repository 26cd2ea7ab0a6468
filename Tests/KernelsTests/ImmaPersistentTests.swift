import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// The persistent `wgmma` kernel (`persistent` 1): a fixed grid whose blocks keep their channel tile's
/// weights in shared memory, walk the m-tiles and overlap the next tile's first copies with the current
/// tile's epilogue. Its rules, its JSON, exact emulated runs (with blocks that walk several tiles) and
/// an NVRTC sweep.
final class ImmaPersistentTests: XCTestCase {
    static func persistent(_ config: ImmaWgmmaConv3DConfig) -> ImmaWgmmaConv3DConfig {
        var config = config
        config.persistent = 1
        config.splitK = 1
        return config
    }

    func testRulesGridAndSharedMemory() throws {
        let l1 = try XCTUnwrap(AnchorLayers.named("r3d.l1")).parameters
        let config = ImmaWgmmaConv3DConfig(
            blockM: 256, blockN: 64, blockK: 64, warpgroups: 2, stages: 4, wgmmaInFlight: 1, persistent: 1)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: l1, on: .sm90a), [])
        let kernel = try ImmaWgmmaConv3DTemplate.render(workload: l1, config: config, output: .int8(relu: true, residual: false))
        // 1,568 m-tiles, one channel tile: one block per SM; 4 stages of 256 x 64 bytes, then the 27 k-tiles of weights.
        XCTAssertEqual(kernel.grid, LaunchDimensions(x: 132))
        XCTAssertEqual(kernel.dynamicSharedBytes, 4 * 256 * 64 + 27 * 64 * 64 + 1024)
        XCTAssertTrue(kernel.text.contains("constexpr int GRID_BLOCKS = 132, M_STRIDE = GRID_BLOCKS / N_TILES;"))
        XCTAssertTrue(kernel.text.contains("const uint32_t b_tile = panel_base + (k_begin + t) * B_BYTES;"))
        XCTAssertTrue(kernel.text.contains("set_rows(next_tile * BM);"))
        var split = config
        split.splitK = 2
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: split, for: l1, on: .sm90a), [.persistentSplit(2)])
        // r3d.l3's weights are 256 filters x 6,912 bytes: a 128-wide channel tile of them does not fit.
        let l3 = try XCTUnwrap(AnchorLayers.named("r3d.l3")).parameters
        let wide = ImmaWgmmaConv3DConfig(blockM: 64, blockN: 128, blockK: 128, warpgroups: 1, stages: 3, persistent: 1)
        let found = try ImmaWgmmaConv3DTemplate.violations(of: wide, for: l3, on: .sm90a)
        XCTAssertTrue(found.contains { if case .sharedMemory = $0 { true } else { false } }, "\(found)")
        // Two channel tiles (r2p1d.s, K = 144 in tiles of 80): the grid is a multiple of them.
        let s = try XCTUnwrap(AnchorLayers.named("r2p1d.s")).parameters
        let two = ImmaWgmmaConv3DConfig(blockM: 128, blockN: 80, blockK: 64, warpgroups: 2, stages: 4, minBlocks: 1, persistent: 1)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: two, for: s, on: .sm90a), [])
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.render(workload: s, config: two, output: .int32).grid, LaunchDimensions(x: 132))
    }

    func testTheJSONOmitsTheKnobWhenOff() throws {
        let config = ImmaWgmmaConv3DConfig(blockM: 128, blockN: 64, blockK: 128, warpgroups: 2, stages: 4, persistent: 1)
        XCTAssertTrue(config.json.hasSuffix("\"persistent\": 1}"))
        XCTAssertFalse(Self.off(config).json.contains("persistent"))
        let encoded = try JSONEncoder().encode(config)
        XCTAssertEqual(try JSONDecoder().decode(ImmaWgmmaConv3DConfig.self, from: encoded), config)
    }

    /// `config` with one stage fewer (and no more wgmma groups in flight than that leaves room for) until the
    /// rules pass on `workload` or two stages are left: room for resident weights.
    static func fewerStagesUntilValid(_ config: ImmaWgmmaConv3DConfig, for workload: Conv3DParameters) throws -> ImmaWgmmaConv3DConfig {
        var config = config
        while config.stages > 2, try !ImmaWgmmaConv3DTemplate.violations(of: config, for: workload, on: .sm90a).isEmpty {
            config.stages -= 1
            config.wgmmaInFlight = min(config.wgmmaInFlight, config.stages - 2)
        }
        return config
    }

    static func off(_ config: ImmaWgmmaConv3DConfig) -> ImmaWgmmaConv3DConfig {
        var config = config
        config.persistent = 0
        return config
    }

    /// Persistent configs run exactly in the host emulation: a workload of 288 m-tiles of 64 rows, so
    /// that each of the 132 blocks walks two or three of them (every output, every epilogue kind), as
    /// two warpgroups do over 288 tiles of 128 rows, the
    /// anchor twins' defaults made persistent, a grouped twin with packed groups, and the odd workload
    /// with three channel tiles.
    func testPersistentKernelsAreExactInTheEmulation() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
        let long = try Conv3DParameters(
            batch: 1, inputChannels: 8, outputChannels: 16, input: Extent3(8, 48, 48), kernel: Extent3(1, 3, 3),
            padding: .explicit(Padding3D(symmetric: Extent3(0, 1, 1))))
        var cases: [(String, Conv3DParameters, ImmaWgmmaConv3DConfig, OutputKind)] = []
        let walker = ImmaWgmmaConv3DConfig(
            blockM: 64, blockN: 16, blockK: 32, warpgroups: 1, stages: 3, wgmmaInFlight: 1, inputVectorBytes: 8, persistent: 1)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: walker, for: long, on: .sm90a), [])
        for output in ImmaEmulationTests.outputs.prefix(3) { cases.append(("long", long, walker, output)) }
        // Two warpgroups walking 2-3 tiles of 128 rows, 4 k-tiles of 32 bytes through 3 stages: a tile's last
        // k-tile is read from stage 0, which the next tile's first copies refill — one warpgroup may not start
        // them while the other still multiplies.
        let deep = try Conv3DParameters(
            batch: 2, inputChannels: 12, outputChannels: 16, input: Extent3(8, 48, 48), kernel: Extent3(1, 3, 3),
            padding: .explicit(Padding3D(symmetric: Extent3(0, 1, 1))))
        var pair = walker
        pair.blockM = 128
        pair.warpgroups = 2
        pair.inputVectorBytes = 4
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: pair, for: deep, on: .sm90a), [])
        cases.append(("deep", deep, pair, .int32))
        for name in ["r3d.l1", "r2p1d.s", "r2p1d.t", "i3d.pw"] {
            // The default made persistent, with fewer stages where the weights need the room.
            let twin = try XCTUnwrap(ImmaEmulationTests.smallTwins.first { $0.name == name })
            let config = try Self.fewerStagesUntilValid(
                Self.persistent(try ImmaWgmmaConv3DTemplate.defaultConfig(for: twin.workload, on: .sm90a)), for: twin.workload)
            XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: twin.workload, on: .sm90a), [], name)
            cases.append((name, twin.workload, config, .int8(relu: true, residual: true)))
        }
        let grouped = try XCTUnwrap(ImmaGroupedTests.workloads.first { $0.name == "g32.c256" }).workload
        let packed = Self.persistent(try ImmaWgmmaConv3DTemplate.defaultConfig(for: grouped, on: .sm90a))
        XCTAssertGreaterThan(packed.groupPack, 1)
        cases.append(("g32.c256", grouped, packed, .int32))
        let odd = ImmaWgmmaConv3DConfig(blockM: 64, blockN: 16, blockK: 32, warpgroups: 1, stages: 2, inputVectorBytes: 8, persistent: 1)
        cases.append(("odd", ImmaEmulationTests.odd, odd, .int8(relu: false, residual: false)))
        try ImmaEmulationTests.emulate(cases.map { name, workload, config, output in
            (name, workload, config.json, output, { () throws -> KernelSource in
                try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
            })
        })
    }

    /// The anchor layers' defaults made persistent, where their weights fit, compile for sm_90a
    /// without spills, with a few sampled persistent configs.
    func testPersistentConfigurationsCompile() throws {
        guard (try? NVRTC.library(for: "sm_90a")) != nil else { throw XCTSkip("NVRTC for sm_90a not found") }
        var rng = SeededGenerator(seed: 0x9E5)
        var cases: [ImmaCompileSweepTests.Case] = []
        for layer in AnchorLayers.all() {
            let workload = layer.parameters
            let space = try ImmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            var configs = [Self.persistent(try ImmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90a))]
            configs.append(ImmaWgmmaConv3DConfig(blockM: 128, blockN: configs[0].blockN, blockK: 64, warpgroups: 2, stages: 3,
                                                 wgmmaInFlight: 1, inputVectorBytes: configs[0].inputVectorBytes, persistent: 1))
            configs += space.sample(count: 60, using: &rng).compactMap { try? space.config(at: $0, as: ImmaWgmmaConv3DConfig.self) }
                .filter { $0.persistent == 1 }.prefix(3)
            for config in configs where space.contains(config) {
                cases.append(.init(name: layer.name, arch: "sm_90a", config: config.description, output: .int8(relu: true, residual: false), isDefault: false) {
                    try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: .int8(relu: true, residual: false))
                })
            }
        }
        XCTAssertGreaterThan(cases.count, 12)
        try ImmaCompileSweepTests.compileAll(cases, label: "imma_wgmma persistent")
    }
}
