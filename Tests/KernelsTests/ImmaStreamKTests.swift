import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// The stream-K `wgmma` kernel (`stream_k` 1): a grid of 132 x min_blocks blocks shares out all output
/// tiles' k-tiles in contiguous runs; a run that starts inside a tile publishes its partial sums, the run
/// that holds the tile's first k-tile adds them and runs the epilogue. Its rules, its JSON, exact
/// emulated runs (tiles finished by one block, by two, and by a chain of 27) and an NVRTC sweep.
final class ImmaStreamKTests: XCTestCase {
    static func streamK(_ config: ImmaWgmmaConv3DConfig) -> ImmaWgmmaConv3DConfig {
        var config = config
        config.streamK = 1
        config.splitK = 1
        config.persistent = 0
        return config
    }

    func testRulesGridAndWorkspace() throws {
        // r3d.l3: 49 x 2 tiles of 128 x 128, 54 k-tiles of 128 bytes: 98 tiles leave 34 of 132 SMs idle; 5,292
        // k-tiles shared by 132 blocks are 40 or 41 each.
        let l3 = try XCTUnwrap(AnchorLayers.named("r3d.l3")).parameters
        let config = ImmaWgmmaConv3DConfig(
            blockM: 128, blockN: 128, blockK: 128, warpgroups: 2, stages: 5, wgmmaInFlight: 1, stagedOutput: 1, streamK: 1)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: l3, on: .sm90a), [])
        let kernel = try ImmaWgmmaConv3DTemplate.render(workload: l3, config: config, output: .int8(relu: true, residual: false))
        XCTAssertEqual(kernel.grid, LaunchDimensions(x: 132))
        XCTAssertTrue(kernel.text.contains("constexpr int GRID_BLOCKS = 132, WORK = M_TILES * N_TILES * K_TILES;"))
        XCTAssertTrue(kernel.text.contains("constexpr int M_TILES = 49, N_TILES = 2, K_TILES = 54"))
        let workspace = try XCTUnwrap(kernel.parameters.first { $0.role == .workspace })
        let counters = try XCTUnwrap(kernel.parameters.first { $0.role == .counters })
        guard case let .buffer(_, workspaceCount, _, _) = workspace.kind, case let .buffer(_, counterCount, _, _) = counters.kind else {
            return XCTFail("workspace and counters are buffers")
        }
        XCTAssertEqual(workspaceCount, 132 * 128 * 128)
        XCTAssertEqual(counterCount, 132)
        // Two blocks per SM: twice the grid; a tiny GEMM: one block per k-tile at most.
        var two = config
        two.stages = 3
        two.minBlocks = 2
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: two, for: l3, on: .sm90a), [])
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.render(workload: l3, config: two, output: .int32).grid, LaunchDimensions(x: 264))
        let tiny = Self.tiny
        let chain = Self.chainConfig
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: chain, for: tiny, on: .sm90a), [])
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.render(workload: tiny, config: chain, output: .int32).grid, LaunchDimensions(x: 54))
        // It shares out whole reductions itself, over one GEMM.
        var split = config
        split.splitK = 2
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: split, for: l3, on: .sm90a), [.streamKConflict(knob: "split_k", value: 2)])
        XCTAssertThrowsError(try ImmaWgmmaConv3DTemplate.render(workload: l3, config: split, output: .int32))
        let grouped = try XCTUnwrap(ImmaGroupedTests.workloads.first { $0.name == "g4.c256" }).workload
        var perGroup = try ImmaWgmmaConv3DTemplate.defaultConfig(for: grouped, on: .sm90a)
        perGroup.groupPack = 1
        perGroup.streamK = 1
        perGroup.splitK = 1
        XCTAssertTrue(try ImmaWgmmaConv3DTemplate.violations(of: perGroup, for: grouped, on: .sm90a).contains(.streamKGrouped(groups: 4)))
        // The fp16 template renders no stream-K.
        XCTAssertThrowsError(try HmmaWgmmaConv3DTemplate.render(workload: l3, config: config, output: .float32(relu: false))) { error in
            XCTAssertTrue("\(error)".contains("stream_k 1"), "\(error)")
        }
    }

    func testTheJSONOmitsTheKnobWhenOff() throws {
        let config = Self.chainConfig
        XCTAssertTrue(config.json.hasSuffix("\"stream_k\": 1}"), config.json)
        var off = config
        off.streamK = 0
        XCTAssertFalse(off.json.contains("stream_k"))
        let encoded = try JSONEncoder().encode(config)
        XCTAssertEqual(try JSONDecoder().decode(ImmaWgmmaConv3DConfig.self, from: encoded), config)
        // A config written before the knob reads as stream_k 0.
        let old = #"{"block_m":128,"block_n":64,"block_k":128,"warpgroups":2,"stages":4,"wgmma_in_flight":1,"split_k":1,"a_vector":16,"raster_group":1,"min_blocks":2}"#
        XCTAssertEqual(try JSONDecoder().decode(ImmaWgmmaConv3DConfig.self, from: Data(old.utf8)).streamK, 0)
    }

    /// 2 m-tiles of 64 rows, 16 filters, 27 k-tiles of 32 bytes (27 taps x 32 channels).
    static let tiny = try! Conv3DParameters(
        batch: 1, inputChannels: 32, outputChannels: 16, input: Extent3(2, 8, 8), kernel: Extent3(uniform: 3),
        padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))

    /// 48 channels in 3 n-tiles of 16, 5 m-tiles of 64 rows, 9 k-tiles of 32 bytes.
    static let wide = try! Conv3DParameters(
        batch: 1, inputChannels: 32, outputChannels: 48, input: Extent3(1, 16, 20), kernel: Extent3(1, 3, 3),
        padding: .explicit(Padding3D(symmetric: Extent3(0, 1, 1))))

    /// 64 x 16 tiles, 32-byte k-tiles: on the tiny workload (2 tiles of 27 k-tiles) every block of the
    /// 54 gets one k-tile, and the first block of each tile adds the partial sums of the 26 after it.
    static let chainConfig = ImmaWgmmaConv3DConfig(
        blockM: 64, blockN: 16, blockK: 32, warpgroups: 1, stages: 3, wgmmaInFlight: 1, inputVectorBytes: 16, streamK: 1)

    /// Stream-K configs run exactly in the host emulation: the chain (every output kind); a workload of
    /// 3 n-tiles whose 132 runs end inside tiles and span up to three of them; two warpgroups with staged
    /// int8 output; the anchor twins' defaults made stream-K; and the odd workload.
    func testStreamKKernelsAreExactInTheEmulation() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
        let tiny = Self.tiny
        var cases: [(String, Conv3DParameters, ImmaWgmmaConv3DConfig, OutputKind)] = []
        for output in ImmaEmulationTests.outputs.prefix(4) { cases.append(("chain", tiny, Self.chainConfig, output)) }
        // 48 channels in 3 n-tiles of 16, 5 m-tiles of 64 rows, 9 k-tiles of 32 bytes: 135 k-tiles for 132 blocks,
        // so runs of one or two k-tiles that cross tile boundaries at every offset.
        let wide = Self.wide
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.render(workload: wide, config: Self.chainConfig, output: .int32).grid, LaunchDimensions(x: 132))
        cases.append(("wide", wide, Self.chainConfig, .int8(relu: true, residual: true)))
        var pair = Self.chainConfig
        pair.blockM = 128
        pair.warpgroups = 2
        pair.blockN = 48
        pair.stagedOutput = 1
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: pair, for: wide, on: .sm90a), [])
        cases.append(("wide pair", wide, pair, .int8(relu: false, residual: true)))
        for name in ["r3d.l2", "r3d.l3", "r3d.l4", "r2p1d.t"] {
            let twin = try XCTUnwrap(ImmaEmulationTests.smallTwins.first { $0.name == name })
            let config = Self.streamK(try ImmaWgmmaConv3DTemplate.defaultConfig(for: twin.workload, on: .sm90a))
            XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: twin.workload, on: .sm90a), [], name)
            cases.append((name, twin.workload, config, .int8(relu: true, residual: false)))
        }
        let odd = ImmaWgmmaConv3DConfig(blockM: 64, blockN: 16, blockK: 32, warpgroups: 1, stages: 2, inputVectorBytes: 8, streamK: 1)
        cases.append(("odd", ImmaEmulationTests.odd, odd, .int32))
        try ImmaEmulationTests.emulate(cases.map { name, workload, config, output in
            (name, workload, config.json, output, { () throws -> KernelSource in
                try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
            })
        })
    }

    /// The emulation catches a finisher that does not add the later blocks' partial sums, and one that
    /// waits for a block that published nothing.
    func testTheEmulationCatchesAMissingFixup() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
        let tiny = Self.tiny
        let kernel = try ImmaWgmmaConv3DTemplate.render(workload: tiny, config: Self.chainConfig, output: .int32)
        let problem = try ImmaTestProblem(tiny, seed: 11)
        XCTAssertEqual(try ImmaEmulationHarness.run(kernel, output: .int32, problem: problem).mismatches, 0)
        let loop = "for (int other = blockIdx.x + 1; k_count < K_TILES &&"
        XCTAssertTrue(kernel.text.contains(loop))
        var skipped = kernel
        skipped.text = kernel.text.replacingOccurrences(of: loop, with: "for (int other = blockIdx.x + 1; false &&")
        do {
            let outcome = try ImmaEmulationHarness.run(skipped, output: .int32, problem: problem)
            XCTAssertGreaterThan(outcome.mismatches, 0)
        } catch {
            // The flags the finisher never lowered are the check biting too.
            XCTAssertTrue("\(error)".contains("counter"), "\(error)")
        }
        var early = kernel
        early.text = kernel.text.replacingOccurrences(of: "for (int other = blockIdx.x + 1;", with: "for (int other = blockIdx.x;")
        XCTAssertThrowsError(try ImmaEmulationHarness.run(early, output: .int32, problem: problem)) { error in
            XCTAssertTrue("\(error)".contains("waits for a flag"), "\(error)")
        }
    }

    /// The anchor layers' defaults made stream-K, and sampled stream-K configs, compile for sm_90a
    /// without spills.
    func testStreamKConfigurationsCompile() throws {
        guard (try? NVRTC.library(for: "sm_90a")) != nil else { throw XCTSkip("NVRTC for sm_90a not found") }
        var rng = SeededGenerator(seed: 0x57E4)
        var cases: [ImmaCompileSweepTests.Case] = []
        for layer in AnchorLayers.all() {
            let workload = layer.parameters
            let space = try ImmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            var configs = [Self.streamK(try ImmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90a))]
            configs += space.sample(count: 80, using: &rng).compactMap { try? space.config(at: $0, as: ImmaWgmmaConv3DConfig.self) }
                .filter { $0.streamK == 1 }.prefix(2)
            for config in configs where space.contains(config) {
                cases.append(.init(name: layer.name, arch: "sm_90a", config: config.description, output: .int8(relu: true, residual: false), isDefault: false) {
                    try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: .int8(relu: true, residual: false))
                })
            }
        }
        XCTAssertGreaterThan(cases.count, 12)
        try ImmaCompileSweepTests.compileAll(cases, label: "imma_wgmma stream-K")
    }
}
