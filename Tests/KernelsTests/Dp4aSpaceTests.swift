import ConvGeometry
@testable import Kernels
import Tensors
import XCTest

/// The dp4a space: its knobs, its count against brute force and an independent statement of the rules,
/// and each rule at its limit.
final class Dp4aSpaceTests: XCTestCase {
    static func conv(
        n: Int = 1, c: Int, k: Int, input: Extent3, kernel: Extent3, stride: Extent3 = Extent3(uniform: 1),
        dilation: Extent3 = Extent3(uniform: 1), pad: [Int] = [0], groups: Int = 1
    ) throws -> Conv3DParameters {
        try Conv3DParameters(
            batch: n, inputChannels: c, outputChannels: k, input: input, kernel: kernel, stride: stride,
            dilation: dilation, padding: .explicit(Padding3D(pad)), groups: groups)
    }

    /// An architecture with small limits, so that every rule cuts into a small space.
    static let tiny = GPUArchitecture(
        major: 8, minor: 0, maxThreadsPerBlock: 48, maxBlockDimensions: LaunchDimensions(x: 32, y: 16, z: 4),
        maxGridDimensions: LaunchDimensions(x: 24, y: 4, z: 4), maxStaticSharedBytesPerBlock: 1500,
        maxDynamicSharedBytesPerBlock: 1500, registersPerBlock: 3072)

    func testEachReductionSplitHasItsOwnAxis() throws {
        let p = try Self.conv(c: 20, k: 9, input: Extent3(8, 9, 10), kernel: Extent3(3, 5, 7))
        let knobs = try Dp4aConv3DTemplate.knobs(for: p)
        let extents = Dictionary(uniqueKeysWithValues: knobs.compactMap { knob -> (String, Int)? in
            if case let .split(name, extent, _) = knob { return (name, extent) }
            return nil
        })
        XCTAssertEqual(extents["tile_rc"], 5)  // ceil(20 / 4)
        XCTAssertEqual(extents["tile_rd"], 3)
        XCTAssertEqual(extents["tile_ry"], 5)
        XCTAssertEqual(extents["tile_rx"], 7)
        XCTAssertEqual(extents["tile_f"], 3)  // ceil(9 / 4)
        XCTAssertEqual(extents["tile_d"], 6)
        XCTAssertEqual(extents["tile_y"], 5)
        XCTAssertEqual(extents["tile_x"], 4)
        XCTAssertEqual(Set(knobs.map(\.name)), Set(Dp4aConv3DConfig.CodingKeys.allCases.map(\.rawValue)))
    }

    /// r3d.l1 on sm_90: the raw product and the valid count. The count was checked against an
    /// independent model of the rules written in Python, point by point over the class combinations.
    func testAnchorSpaceSize() throws {
        let l1 = try XCTUnwrap(AnchorLayers.named("r3d.l1")).parameters
        let space = try Dp4aConv3DTemplate.space(for: l1, on: .sm90)
        XCTAssertEqual(space.rawSize, 35 * 35 * 80 * 80 * 5 * 2 * 2 * 2 * 24 * 2 * 3)
        XCTAssertEqual(space.validCount(), 1_384_062_696)
    }

    /// On small spaces, the count equals brute force over every raw point with the rules restated
    /// here from scratch, on the real sm_90 limits and on tiny ones that make every rule bind.
    func testValidCountMatchesBruteForceWithIndependentRules() throws {
        let workloads = [
            try Self.conv(c: 8, k: 4, input: Extent3(1, 7, 10), kernel: Extent3(1, 1, 3), stride: Extent3(1, 2, 1), dilation: Extent3(1, 1, 2), pad: [0, 0, 1, 0, 0, 1]),
            try Self.conv(n: 2, c: 8, k: 16, input: Extent3(2, 4, 2), kernel: Extent3(2, 1, 1), pad: [0], groups: 2),
            try Self.conv(c: 3, k: 5, input: Extent3(1, 3, 3), kernel: Extent3(1, 1, 1)),
        ]
        for p in workloads {
            for arch in [GPUArchitecture.sm90, Self.tiny] {
                let space = try Dp4aConv3DTemplate.space(for: p, on: arch)
                // Validity cannot depend on the last two knobs (reorder, unroll); the independent rules
                // are evaluated once per value of the others, the space's on every raw point.
                let core = space.knobs.count - 2
                var independent: [[Int]: (config: Dp4aConv3DConfig, at32: Bool)] = [:]
                var flags: [(key: [Int], valid: Bool)] = []
                for index in 0..<space.rawSize {
                    let point = try space.point(atRawIndex: index)
                    let key = Array(point.indices[0..<core])
                    if independent[key] == nil {
                        let config = try space.config(at: point, as: Dp4aConv3DConfig.self)
                        independent[key] = (config, Self.independentlyValid(config, p, arch, minThreads: 32))
                    }
                    flags.append((key, space.isValid(point)))
                }
                let floor = independent.values.contains { $0.at32 } ? 32 : 1
                var expected = 0
                for (key, flag) in flags {
                    guard let entry = independent[key] else { continue }
                    let valid = floor == 32 ? entry.at32 : Self.independentlyValid(entry.config, p, arch, minThreads: floor)
                    if flag != valid { XCTFail("\(p) on \(arch): \(entry.config) space says \(flag)") }
                    if valid { expected += 1 }
                }
                XCTAssertEqual(space.validCount(), expected, "\(p) on \(arch)")
                XCTAssertGreaterThan(expected, 0)
            }
        }
    }

    /// The rules, written out without the template's code: threads, block and grid extents, shared
    /// memory as the kernel declares it, accumulators, registers, groups.
    static func independentlyValid(_ c: Dp4aConv3DConfig, _ p: Conv3DParameters, _ arch: GPUArchitecture, minThreads: Int) -> Bool {
        let (f, d, y, x) = (c.tileF, c.tileD, c.tileY, c.tileX)
        let threads = f.thread * d.thread * y.thread * x.thread
        let block = c.fuseYX ? [y.thread * x.thread, d.thread, f.thread] : [x.thread, y.thread, f.thread * d.thread]
        let limits = arch.maxBlockDimensions
        let grid = [y.block * x.block, d.block, p.batch * f.block]
        let maxGrid = arch.maxGridDimensions
        func window(_ tile: Int, _ inner: Int, _ stride: Int, _ dilation: Int) -> Int { (tile - 1) * stride + (inner - 1) * dilation + 1 }
        let inputWords = c.tileRC.inner
            * window(d.virtualThread * d.thread * d.inner, c.tileRD.inner, p.stride.depth, p.dilation.depth)
            * window(y.virtualThread * y.thread * y.inner, c.tileRY.inner, p.stride.height, p.dilation.height)
            * window(x.virtualThread * x.thread * x.inner, c.tileRX.inner, p.stride.width, p.dilation.width)
        let fTile = f.virtualThread * f.thread * f.inner
        let shared = 4 * ((inputWords + 3) / 4 * 4) + 16 * fTile * c.tileRC.inner * c.tileRD.inner * c.tileRY.inner * c.tileRX.inner
        let outputs = d.virtualThread * d.inner * y.virtualThread * y.inner * x.virtualThread * x.inner
        let accumulators = 4 * f.virtualThread * f.inner * outputs
        let warps = (threads + 31) / 32
        let budget = min(arch.maxRegistersPerThread, arch.registersPerBlock / (warps * 32) / 8 * 8)
        let chunksPerGroup = (p.outputChannels + 3) / 4 / p.groups
        return threads >= minThreads && threads <= arch.maxThreadsPerBlock
            && block[0] <= limits.x && block[1] <= limits.y && block[2] <= limits.z
            && grid[0] <= maxGrid.x && grid[1] <= maxGrid.y && grid[2] <= maxGrid.z
            && shared <= arch.maxStaticSharedBytesPerBlock
            && accumulators <= 128 && accumulators + outputs + 4 <= budget - 16
            && chunksPerGroup % fTile == 0
    }

    func testSampledPointsAgreeWithViolationsAndValidate() throws {
        var rng = SeededGenerator(seed: 11)
        for layer in AnchorLayers.verificationSet() {
            let space = try Dp4aConv3DTemplate.space(for: layer.parameters, on: .sm90)
            for _ in 0..<150 {
                let point = try space.point(atRawIndex: Int.random(in: 0..<space.rawSize, using: &rng))
                let config = try space.config(at: point, as: Dp4aConv3DConfig.self)
                let violations = try Dp4aConv3DTemplate.violations(of: config, for: layer.parameters, on: .sm90)
                XCTAssertEqual(space.isValid(point), violations.isEmpty, "\(layer.name) \(config): \(violations)")
                XCTAssertEqual(try space.point(of: config), point)
                if !violations.isEmpty {
                    XCTAssertThrowsError(try Dp4aConv3DTemplate.validate(config, for: layer.parameters, on: .sm90))
                }
            }
        }
    }

    // MARK: Each rule at its limit

    /// A config of r3d.l2 with every resource comfortably inside sm_90's limits.
    static func baseline() throws -> (Conv3DParameters, Dp4aConv3DConfig) {
        let p = try XCTUnwrap(AnchorLayers.named("r3d.l2")).parameters  // Kc 32, 8x28x28, Cc 32
        let config = Dp4aConv3DConfig(
            tileF: .init(block: 4, virtualThread: 2, thread: 4, inner: 1),
            tileD: .init(block: 4, virtualThread: 1, thread: 2, inner: 1),
            tileY: .init(block: 7, virtualThread: 1, thread: 2, inner: 2),
            tileX: .init(block: 2, virtualThread: 1, thread: 14, inner: 1),
            tileRC: .init(outer: 8, inner: 4), tileRD: .init(outer: 3, inner: 1),
            tileRY: .init(outer: 1, inner: 3), tileRX: .init(outer: 1, inner: 3),
            reorderInner: [1, 0, 3, 2], fuseYX: true, autoUnrollMaxStep: 512)
        return (p, config)
    }

    /// For each limit of the architecture: the baseline is valid with the limit set to exactly what it
    /// uses, and breaks that rule (and only it) with the limit one below.
    func testEachArchitectureLimitAtItsEdge() throws {
        let (p, config) = try Self.baseline()
        XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: config, for: p, on: .sm90), [])
        let plan = try Dp4aConv3DPlan(workload: p, config: config)
        let use = plan.resources
        XCTAssertEqual(use.threads, 4 * 2 * 2 * 14)
        XCTAssertEqual(use.block, LaunchDimensions(x: 28, y: 2, z: 4))
        XCTAssertEqual(use.grid, LaunchDimensions(x: 14, y: 4, z: 32))
        // Input window 4 chunks x 2 x (4 + 2) x (14 + 2) words; weights 8 chunks x 4 x 1 x 3 x 3 vectors.
        XCTAssertEqual(use.sharedBytes, 4 * 4 * 2 * 6 * 16 + 16 * 8 * 4 * 9)
        XCTAssertEqual(use.accumulators, 4 * 2 * 2)
        typealias Edit = (inout GPUArchitecture, Int) -> Void
        let cases: [(String, Int, Edit, Dp4aConv3DViolation)] = [
            ("threads", use.threads, { $0.maxThreadsPerBlock = $1 }, .threads(use.threads, minimum: 32, maximum: use.threads - 1)),
            ("block x", use.block.x, { $0.maxBlockDimensions.x = $1 }, .blockDimension(axis: "x", extent: use.block.x, limit: use.block.x - 1)),
            ("block y", use.block.y, { $0.maxBlockDimensions.y = $1 }, .blockDimension(axis: "y", extent: use.block.y, limit: use.block.y - 1)),
            ("block z", use.block.z, { $0.maxBlockDimensions.z = $1 }, .blockDimension(axis: "z", extent: use.block.z, limit: use.block.z - 1)),
            ("grid x", use.grid.x, { $0.maxGridDimensions.x = $1 }, .gridDimension(axis: "x", extent: use.grid.x, limit: use.grid.x - 1)),
            ("grid y", use.grid.y, { $0.maxGridDimensions.y = $1 }, .gridDimension(axis: "y", extent: use.grid.y, limit: use.grid.y - 1)),
            ("grid z", use.grid.z, { $0.maxGridDimensions.z = $1 }, .gridDimension(axis: "z", extent: use.grid.z, limit: use.grid.z - 1)),
            ("shared", use.sharedBytes, { $0.maxStaticSharedBytesPerBlock = $1 }, .sharedMemory(bytes: use.sharedBytes, limit: use.sharedBytes - 1)),
        ]
        for (name, used, edit, violation) in cases {
            var atLimit = GPUArchitecture.sm90
            edit(&atLimit, used)
            XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: config, for: p, on: atLimit), [], name)
            var below = GPUArchitecture.sm90
            edit(&below, used - 1)
            XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: config, for: p, on: below), [violation], name)
        }
        // Registers: 16 accumulators + 2 input words + one int4 = 22, plus 16 kept free, within
        // min(255, registersPerBlock / 224 threads rounded to 8).
        var registers = GPUArchitecture.sm90
        registers.registersPerBlock = 40 * 224
        XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: config, for: p, on: registers), [])
        registers.registersPerBlock = 40 * 224 - 1
        XCTAssertEqual(
            try Dp4aConv3DTemplate.violations(of: config, for: p, on: registers), [.registers(22, budget: 16, threads: 224)])
    }

    /// sm_90's real 48 KiB: a window of exactly 49,152 bytes fits, the next larger one does not.
    func testSharedMemoryAtTheRealLimit() throws {
        func config(threadsY: Int, innerY: Int, x: Int) -> Dp4aConv3DConfig {
            // One output chunk, 4 input chunks per step: 4·(4·y·x) + 16·4 bytes.
            Dp4aConv3DConfig(
                tileF: .init(block: 1, virtualThread: 1, thread: 1, inner: 1),
                tileD: .init(block: 1, virtualThread: 1, thread: 1, inner: 1),
                tileY: .init(block: 1, virtualThread: 1, thread: threadsY, inner: innerY),
                tileX: .init(block: 1, virtualThread: 1, thread: x, inner: 1),
                tileRC: .init(outer: 1, inner: 4), tileRD: .init(outer: 1, inner: 1),
                tileRY: .init(outer: 1, inner: 1), tileRX: .init(outer: 1, inner: 1))
        }
        let fits = try Self.conv(c: 16, k: 4, input: Extent3(1, 52, 59), kernel: Extent3(uniform: 1))
        let exact = config(threadsY: 4, innerY: 13, x: 59)  // 4·(4·52·59 + 16) = 49,152
        XCTAssertEqual(try Dp4aConv3DPlan(workload: fits, config: exact).resources.sharedBytes, 49_152)
        XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: exact, for: fits, on: .sm90), [])
        let over = try Self.conv(c: 16, k: 4, input: Extent3(1, 99, 31), kernel: Extent3(uniform: 1))
        let tooBig = config(threadsY: 9, innerY: 11, x: 31)  // 4·(4·99·31 + 16) = 49,168
        XCTAssertEqual(
            try Dp4aConv3DTemplate.violations(of: tooBig, for: over, on: .sm90), [.sharedMemory(bytes: 49_168, limit: 49_152)])
    }

    /// The template's own limits: one warp at least, 128 accumulators at most.
    func testThreadFloorAndAccumulatorCeiling() throws {
        let p = try Self.conv(c: 4, k: 4, input: Extent3(1, 32, 1056), kernel: Extent3(uniform: 1))
        func config(threadsX: Int, innerX: Int, threadsY: Int) -> Dp4aConv3DConfig {
            Dp4aConv3DConfig(
                tileF: .init(block: 1, virtualThread: 1, thread: 1, inner: 1),
                tileD: .init(block: 1, virtualThread: 1, thread: 1, inner: 1),
                tileY: .init(block: 32 / threadsY, virtualThread: 1, thread: threadsY, inner: 1),
                tileX: .init(block: 1056 / (threadsX * innerX), virtualThread: 1, thread: threadsX, inner: innerX),
                tileRC: .init(outer: 1, inner: 1), tileRD: .init(outer: 1, inner: 1),
                tileRY: .init(outer: 1, inner: 1), tileRX: .init(outer: 1, inner: 1))
        }
        XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: config(threadsX: 32, innerX: 1, threadsY: 1), for: p, on: .sm90), [])
        XCTAssertEqual(
            try Dp4aConv3DTemplate.violations(of: config(threadsX: 3, innerX: 1, threadsY: 8), for: p, on: .sm90),
            [.threads(24, minimum: 32, maximum: 1024)])
        XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: config(threadsX: 1, innerX: 32, threadsY: 32), for: p, on: .sm90), [])
        XCTAssertEqual(
            try Dp4aConv3DTemplate.violations(of: config(threadsX: 1, innerX: 33, threadsY: 32), for: p, on: .sm90),
            [.accumulators(132, limit: 128)])
    }

    /// Too small to fill a warp: the floor drops to one thread rather than leaving the space empty.
    func testTinyWorkloadKeepsAValidSpace() throws {
        let p = try Self.conv(c: 3, k: 2, input: Extent3(1, 2, 3), kernel: Extent3(uniform: 1))
        let space = try Dp4aConv3DTemplate.space(for: p, on: .sm90)
        XCTAssertGreaterThan(space.validCount(), 0)
        XCTAssertTrue(space.rules.contains("threads per block in 1...1024"), "\(space.rules)")
    }

    func testGroupsKeepABlockInsideOneGroup() throws {
        let p = try Self.conv(c: 8, k: 16, input: Extent3(1, 4, 4), kernel: Extent3(uniform: 1), groups: 2)
        var config = Dp4aConv3DConfig(
            tileF: .init(block: 1, virtualThread: 1, thread: 4, inner: 1),
            tileD: .init(block: 1, virtualThread: 1, thread: 1, inner: 1),
            tileY: .init(block: 1, virtualThread: 1, thread: 4, inner: 1),
            tileX: .init(block: 1, virtualThread: 1, thread: 4, inner: 1),
            tileRC: .init(outer: 1, inner: 1), tileRD: .init(outer: 1, inner: 1),
            tileRY: .init(outer: 1, inner: 1), tileRX: .init(outer: 1, inner: 1))
        XCTAssertEqual(
            try Dp4aConv3DTemplate.violations(of: config, for: p, on: .sm90), [.groupStraddle(chunksPerBlock: 4, chunksPerGroup: 2)])
        config.tileF = .init(block: 2, virtualThread: 1, thread: 2, inner: 1)
        config.tileY = .init(block: 1, virtualThread: 1, thread: 4, inner: 1)
        XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: config, for: p, on: .sm90), [])
    }

    func testUnsupportedWorkloadsSayWhy() throws {
        let grouped = try Self.conv(c: 6, k: 6, input: Extent3(uniform: 4), kernel: Extent3(uniform: 1), groups: 2)
        XCTAssertThrowsError(try Dp4aConv3DTemplate.space(for: grouped, on: .sm90)) { error in
            XCTAssertTrue("\(error)".contains("groups 2 with C/groups = 3"), "\(error)")
        }
        let ok = try Self.conv(c: 4, k: 4, input: Extent3(uniform: 4), kernel: Extent3(uniform: 1))
        let maxwell = GPUArchitecture(major: 5, minor: 2, maxDynamicSharedBytesPerBlock: 48 * 1024)
        XCTAssertThrowsError(try Dp4aConv3DTemplate.space(for: ok, on: maxwell)) { error in
            XCTAssertTrue("\(error)".contains("sm_52 has no dp4a"), "\(error)")
        }
    }

    func testMismatchedConfigsAreRejected() throws {
        let (p, config) = try Self.baseline()
        var badSplit = config
        badSplit.tileX = .init(block: 3, virtualThread: 1, thread: 14, inner: 1)
        XCTAssertThrowsError(try Dp4aConv3DTemplate.render(workload: p, config: badSplit, output: .int32)) { error in
            XCTAssertTrue("\(error)".contains("tile_x [3, 1, 14, 1] must be positive factors of 28"), "\(error)")
        }
        var badOrder = config
        badOrder.reorderInner = [0, 1, 1, 3]
        XCTAssertThrowsError(try Dp4aConv3DTemplate.render(workload: p, config: badOrder, output: .int32))
        var badUnroll = config
        badUnroll.autoUnrollMaxStep = 100
        XCTAssertThrowsError(try Dp4aConv3DTemplate.validate(badUnroll, for: p, on: .sm90))
    }

    func testConfigCodableAndKnobRoundTrip() throws {
        let (p, config) = try Self.baseline()
        let data = try JSONEncoder().encode(config)
        let json = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(json.contains("\"tile_rd\":[3,1]"), json)
        XCTAssertEqual(try JSONDecoder().decode(Dp4aConv3DConfig.self, from: data), config)
        let space = try Dp4aConv3DTemplate.space(for: p, on: .sm90)
        XCTAssertEqual(try space.config(at: try space.point(of: config), as: Dp4aConv3DConfig.self), config)
        var values = config.knobValues
        values["fuse_yx"] = .choice(2)
        XCTAssertThrowsError(try Dp4aConv3DConfig(knobValues: values))
    }

    func testDefaultConfigsAreValid() throws {
        for layer in AnchorLayers.all() + AnchorLayers.verificationSet() {
            for arch in [GPUArchitecture.sm61, .sm90] {
                let config = try Dp4aConv3DTemplate.defaultConfig(for: layer.parameters, on: arch)
                XCTAssertEqual(try Dp4aConv3DTemplate.violations(of: config, for: layer.parameters, on: arch), [], layer.name)
            }
        }
    }
}
