import ConvGeometry
import CUDARuntime
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// The warp-specialized `wgmma` kernel (`warp_specialized` 1): a producer warpgroup runs the `cp.async`
/// loaders and hands stages to the multiplying warpgroups through mbarriers. Its rules, its JSON, exact
/// emulated runs (one tile per block, persistent walks and stream-K runs, every epilogue kind), mutations
/// the emulation must catch, and an NVRTC sweep.
final class ImmaWarpSpecializedTests: XCTestCase {
    static func specialized(_ config: ImmaWgmmaConv3DConfig) -> ImmaWgmmaConv3DConfig {
        var config = config
        config.warpSpecialized = 1
        config.splitK = 1
        config.streamK = 0
        return config
    }

    func testRulesThreadsAndSharedMemory() throws {
        // r2p1d.t's best persistent shape made warp-specialized: 2 + 1 warpgroups; 4 stages of 128 x 64 bytes,
        // 7 k-tiles of 64 x 64 weight bytes, the 128 x 64 staging tile twice, then 8 mbarriers.
        let t = try XCTUnwrap(AnchorLayers.named("r2p1d.t")).parameters
        let config = ImmaWgmmaConv3DConfig(
            blockM: 128, blockN: 64, blockK: 64, warpgroups: 2, stages: 4, wgmmaInFlight: 1, persistent: 1, stagedOutput: 1,
            warpSpecialized: 1)
        XCTAssertEqual(config.threads, 384)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: t, on: .sm90a), [])
        let kernel = try ImmaWgmmaConv3DTemplate.render(workload: t, config: config, output: .int8(relu: true, residual: false))
        XCTAssertEqual(kernel.block, LaunchDimensions(x: 384))
        XCTAssertEqual(kernel.grid, LaunchDimensions(x: 132))
        let barriers = 4 * 128 * 64 + 7 * 64 * 64 + 2 * 128 * 64
        XCTAssertEqual(kernel.dynamicSharedBytes, barriers + 16 * 4 + 1024)
        XCTAssertTrue(kernel.text.contains("constexpr int BARRIER_OFFSET = \(barriers);"))
        XCTAssertTrue(kernel.text.contains("constexpr int A_ITERS = (A_PIECES + LOADERS - 1) / LOADERS"))
        XCTAssertTrue(kernel.text.contains("q3d_named_barrier(1, CONSUMERS);"))
        XCTAssertFalse(kernel.text.components(separatedBy: "__syncthreads();").count > 2, "one block-wide barrier, after the setup")
        // A non-persistent kernel stages its output in the drained ring; its mbarriers follow the larger of the two.
        var single = config
        single.persistent = 0
        let one = try ImmaWgmmaConv3DTemplate.render(workload: t, config: single, output: .int8(relu: true, residual: true))
        XCTAssertEqual(one.grid, LaunchDimensions(x: 3136))
        XCTAssertEqual(one.dynamicSharedBytes, 4 * (128 + 64) * 64 + 16 * 4 + 1024)
        // A stream-K one stages after the ring, which its producer fills with the next run's copies meanwhile.
        var streamK = single
        streamK.streamK = 1
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: streamK, for: t, on: .sm90a), [])
        let runs = try ImmaWgmmaConv3DTemplate.render(workload: t, config: streamK, output: .int8(relu: true, residual: false))
        XCTAssertEqual(runs.grid, LaunchDimensions(x: 132))
        XCTAssertEqual(runs.dynamicSharedBytes, 4 * (128 + 64) * 64 + 2 * 128 * 64 + 16 * 4 + 1024)
        XCTAssertTrue(runs.text.contains("(ring_base - q3d_shared_address(smem)) + \(4 * (128 + 64) * 64);"))
        XCTAssertTrue(runs.text.contains("workspace + (blockIdx.x * VECTORS * CONSUMERS + tid) * 4;"))
        // It hands over a block's own k-tiles: no split-K; the fp16 template renders none of it.
        var split = single
        split.splitK = 2
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: split, for: t, on: .sm90a), [.warpSpecializedConflict(knob: "split_k", value: 2)])
        XCTAssertThrowsError(try ImmaWgmmaConv3DTemplate.render(workload: t, config: split, output: .int32))
        var half = single
        half.stagedOutput = 0
        XCTAssertThrowsError(try HmmaWgmmaConv3DTemplate.render(workload: t, config: half, output: .float32(relu: false))) { error in
            XCTAssertTrue("\(error)".contains("warp_specialized 1"), "\(error)")
        }
        // Three consumer warpgroups and the producer: 512 threads, 128 registers each at one block per SM. The
        // consumers' 208-wide tile (104 accumulators and a reserve of 32) does not fit that (the producer, copying
        // the whole 192 x 128 and 208 x 128 tiles alone, would: 74 registers of bookkeeping and a reserve of 48);
        // without a producer, 384 threads get 168, enough for the accumulators, 26 registers of loaders and 32.
        let l2 = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters
        var wide = ImmaWgmmaConv3DConfig(blockM: 192, blockN: 208, blockK: 128, warpgroups: 3, stages: 3, wgmmaInFlight: 1)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: wide, for: l2, on: .sm90a), [])
        wide.warpSpecialized = 1
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: wide, for: l2, on: .sm90a), [.registers(104 + 32, budget: 128, threads: 512)])
    }

    /// Every anchor layer's space holds warp-specialized configs, and each of them is valid without the
    /// producer too: the knob only adds demands, which is why the rules of the knobs before it may read it
    /// as 0.
    func testTheSpacesHoldWarpSpecializedConfigs() throws {
        var rng = SeededGenerator(seed: 0x3A9)
        for layer in AnchorLayers.all() {
            let space = try ImmaWgmmaConv3DTemplate.space(for: layer.parameters, on: .sm90a)
            let configs = space.sample(count: 200, using: &rng).compactMap { try? space.config(at: $0, as: ImmaWgmmaConv3DConfig.self) }
            let specialized = configs.filter { $0.warpSpecialized == 1 }
            XCTAssertFalse(specialized.isEmpty, layer.name)
            XCTAssertTrue(configs.contains { $0.warpSpecialized == 0 }, layer.name)
            for config in specialized {
                var plain = config
                plain.warpSpecialized = 0
                XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: plain, for: layer.parameters, on: .sm90a), [], "\(layer.name) \(plain)")
            }
        }
    }

    func testTheJSONOmitsTheKnobWhenOff() throws {
        let config = ImmaWgmmaConv3DConfig(blockM: 128, blockN: 64, blockK: 128, warpgroups: 2, stages: 4, warpSpecialized: 1)
        XCTAssertTrue(config.json.hasSuffix("\"warp_specialized\": 1}"), config.json)
        var off = config
        off.warpSpecialized = 0
        XCTAssertFalse(off.json.contains("warp_specialized"))
        XCTAssertEqual(off.threads, 256)
        let encoded = try JSONEncoder().encode(config)
        XCTAssertEqual(try JSONDecoder().decode(ImmaWgmmaConv3DConfig.self, from: encoded), config)
        let old = #"{"block_m":128,"block_n":64,"block_k":128,"warpgroups":2,"stages":4,"wgmma_in_flight":1,"split_k":1,"a_vector":16,"raster_group":1,"min_blocks":2}"#
        XCTAssertEqual(try JSONDecoder().decode(ImmaWgmmaConv3DConfig.self, from: Data(old.utf8)).warpSpecialized, 0)
    }

    /// 288 m-tiles of 64 rows: each of 132 persistent blocks walks two or three (stage numbers run on
    /// across tiles, so stages change phase mid-tile); 3 k-tiles of 32 bytes per tile.
    static let long = try! Conv3DParameters(
        batch: 1, inputChannels: 8, outputChannels: 16, input: Extent3(8, 48, 48), kernel: Extent3(1, 3, 3),
        padding: .explicit(Padding3D(symmetric: Extent3(0, 1, 1))))

    static let walker = ImmaWgmmaConv3DConfig(
        blockM: 64, blockN: 16, blockK: 32, warpgroups: 1, stages: 3, wgmmaInFlight: 1, inputVectorBytes: 8, persistent: 1,
        warpSpecialized: 1)

    /// Warp-specialized configs run exactly in the host emulation: persistent walkers (every output kind,
    /// wgmma_in_flight 0 and 1, two stages), two consumer warpgroups with staged output, the anchor twins'
    /// defaults made warp-specialized (one tile per block, and persistent where the weights fit), a grouped
    /// twin, the odd workload, and stream-K grids.
    func testWarpSpecializedKernelsAreExactInTheEmulation() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
        var cases: [(String, Conv3DParameters, ImmaWgmmaConv3DConfig, OutputKind)] = []
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: Self.walker, for: Self.long, on: .sm90a), [])
        for output in ImmaEmulationTests.outputs { cases.append(("long", Self.long, Self.walker, output)) }
        var eager = Self.walker
        eager.wgmmaInFlight = 0
        eager.stages = 2
        cases.append(("long, 2 stages", Self.long, eager, .int32))
        let deep = try Conv3DParameters(
            batch: 2, inputChannels: 12, outputChannels: 16, input: Extent3(8, 48, 48), kernel: Extent3(1, 3, 3),
            padding: .explicit(Padding3D(symmetric: Extent3(0, 1, 1))))
        var pair = Self.walker
        pair.blockM = 128
        pair.warpgroups = 2
        pair.inputVectorBytes = 4
        pair.stagedOutput = 1
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: pair, for: deep, on: .sm90a), [])
        cases.append(("deep", deep, pair, .int8(relu: true, residual: true)))
        for name in ["r3d.l1", "r3d.l2", "r3d.l4", "r2p1d.s", "r2p1d.t", "i3d.pw"] {
            let twin = try XCTUnwrap(ImmaEmulationTests.smallTwins.first { $0.name == name })
            let config = Self.specialized(try ImmaWgmmaConv3DTemplate.defaultConfig(for: twin.workload, on: .sm90a))
            XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: config, for: twin.workload, on: .sm90a), [], name)
            cases.append((name, twin.workload, config, .int8(relu: true, residual: true)))
            guard ["r3d.l1", "r2p1d.t"].contains(name) else { continue }
            var persistent = config
            persistent.persistent = 1
            persistent = try ImmaPersistentTests.fewerStagesUntilValid(persistent, for: twin.workload)
            XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: persistent, for: twin.workload, on: .sm90a), [], name)
            cases.append((name + " persistent", twin.workload, persistent, .int8(relu: false, residual: false)))
        }
        // Three consumer warpgroups (r3d.l2's best shape so far), 512 threads.
        let l2 = try XCTUnwrap(ImmaEmulationTests.smallTwins.first { $0.name == "r3d.l2" })
        let three = ImmaWgmmaConv3DConfig(
            blockM: 192, blockN: 128, blockK: 128, warpgroups: 3, stages: 4, wgmmaInFlight: 1, stagedOutput: 1, warpSpecialized: 1)
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: three, for: l2.workload, on: .sm90a), [])
        cases.append(("r3d.l2 three", l2.workload, three, .int8(relu: true, residual: true)))
        let grouped = try XCTUnwrap(ImmaGroupedTests.workloads.first { $0.name == "g32.c256" }).workload
        let packed = Self.specialized(try ImmaWgmmaConv3DTemplate.defaultConfig(for: grouped, on: .sm90a))
        XCTAssertGreaterThan(packed.groupPack, 1)
        cases.append(("g32.c256", grouped, packed, .int32))
        let odd = ImmaWgmmaConv3DConfig(blockM: 64, blockN: 16, blockK: 32, warpgroups: 1, stages: 2, inputVectorBytes: 8, warpSpecialized: 1)
        cases.append(("odd", ImmaEmulationTests.odd, odd, .int8(relu: true, residual: false)))
        // Stream-K: the chain (tiles finished by 27 blocks of one k-tile each), runs across tile boundaries at every
        // offset with two staged consumer warpgroups, and an anchor twin's default.
        var chain = ImmaStreamKTests.chainConfig
        chain.warpSpecialized = 1
        cases.append(("chain", ImmaStreamKTests.tiny, chain, .int8(relu: true, residual: true)))
        let wide = ImmaStreamKTests.wide
        var pairRuns = chain
        pairRuns.blockM = 128
        pairRuns.warpgroups = 2
        pairRuns.blockN = 48
        pairRuns.stagedOutput = 1
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: pairRuns, for: wide, on: .sm90a), [])
        cases.append(("wide pair", wide, pairRuns, .int8(relu: false, residual: true)))
        let l3 = try XCTUnwrap(ImmaEmulationTests.smallTwins.first { $0.name == "r3d.l3" })
        var l3Runs = Self.specialized(try ImmaWgmmaConv3DTemplate.defaultConfig(for: l3.workload, on: .sm90a))
        l3Runs.streamK = 1
        XCTAssertEqual(try ImmaWgmmaConv3DTemplate.violations(of: l3Runs, for: l3.workload, on: .sm90a), [])
        cases.append(("r3d.l3 stream-K", l3.workload, l3Runs, .int32))
        try ImmaEmulationTests.emulate(cases.map { name, workload, config, output in
            (name, workload, config.json, output, { () throws -> KernelSource in
                try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
            })
        })
    }

    /// The emulation catches a consumer that multiplies a stage before its copies are in (no wait on
    /// `full`), a producer that refills a stage the consumers still read (no wait on `empty`), a consumer
    /// that does not fence the copies for the async proxy, and releases that never come (deadlock).
    func testTheEmulationCatchesBrokenHandoffs() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
        let kernel = try ImmaWgmmaConv3DTemplate.render(workload: Self.long, config: Self.walker, output: .int32)
        let problem = try ImmaTestProblem(Self.long, seed: 21)
        XCTAssertEqual(try ImmaEmulationHarness.run(kernel, output: .int32, problem: problem).mismatches, 0)
        func mutated(_ original: String, _ replacement: String) throws -> KernelSource {
            XCTAssertTrue(kernel.text.contains(original), original)
            var broken = kernel
            broken.text = kernel.text.replacingOccurrences(of: original, with: replacement)
            return broken
        }
        // No wait for the copies: the multiply reads poisoned or unfenced bytes.
        let noFullWait = try mutated("q3d_mbarrier_wait(full_barriers + 8 * stage, (step / STAGES) & 1);", "")
        XCTAssertThrowsError(try ImmaEmulationHarness.run(noFullWait, output: .int32, problem: problem)) { error in
            XCTAssertTrue("\(error)".contains("fence.proxy.async"), "\(error)")
        }
        // No wait for the release: the producer's next copies poison a stage an operation has yet to read.
        let noEmptyWait = try mutated("if (step >= STAGES) q3d_mbarrier_wait(", "if (false) q3d_mbarrier_wait(")
        do {
            let outcome = try ImmaEmulationHarness.run(noEmptyWait, output: .int32, problem: problem)
            XCTAssertGreaterThan(outcome.mismatches, 0)
        } catch {
            // The refill landing, unfenced, under an operation about to read the stage is the check biting too.
            XCTAssertTrue("\(error)".contains("fence.proxy.async"), "\(error)")
        }
        // No proxy fence after the wait.
        let noFence = try mutated("q3d_fence_proxy_async();\n", "\n")
        XCTAssertThrowsError(try ImmaEmulationHarness.run(noFence, output: .int32, problem: problem)) { error in
            XCTAssertTrue("\(error)".contains("fence.proxy.async"), "\(error)")
        }
        // Releases that never come: the producer waits forever.
        let noRelease = try mutated("if (t >= IN_FLIGHT && lane == 0) q3d_mbarrier_arrive(", "if (false) q3d_mbarrier_arrive(")
        XCTAssertThrowsError(try ImmaEmulationHarness.run(noRelease, output: .int32, problem: problem)) { error in
            XCTAssertTrue("\(error)".contains("deadlock"), "\(error)")
        }
    }

    /// The anchor layers' defaults made warp-specialized (and persistent where the weights fit, and
    /// stream-K), and sampled warp-specialized configs, compile for sm_90a without spills.
    func testWarpSpecializedConfigurationsCompile() throws {
        guard (try? NVRTC.library(for: "sm_90a")) != nil else { throw XCTSkip("NVRTC for sm_90a not found") }
        var rng = SeededGenerator(seed: 0x5EC)
        var cases: [ImmaCompileSweepTests.Case] = []
        for layer in AnchorLayers.all() {
            let workload = layer.parameters
            let space = try ImmaWgmmaConv3DTemplate.space(for: workload, on: .sm90a)
            let base = Self.specialized(try ImmaWgmmaConv3DTemplate.defaultConfig(for: workload, on: .sm90a))
            var persistent = base
            persistent.persistent = 1
            var streamK = base
            streamK.streamK = 1
            var configs = [base, persistent, streamK]
            configs += space.sample(count: 120, using: &rng).compactMap { try? space.config(at: $0, as: ImmaWgmmaConv3DConfig.self) }
                .filter { $0.warpSpecialized == 1 }.prefix(4)
            for config in configs where space.contains(config) {
                cases.append(.init(name: layer.name, arch: "sm_90a", config: config.description, output: .int8(relu: true, residual: false), isDefault: false) {
                    try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: .int8(relu: true, residual: false))
                })
            }
        }
        XCTAssertGreaterThan(cases.count, 40)
        let spilling = try ImmaCompileSweepTests.compileAll(cases, label: "imma_wgmma warp-specialized")
        XCTAssertEqual(spilling, [])
    }
}
