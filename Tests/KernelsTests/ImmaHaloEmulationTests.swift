import ConvGeometry
import Foundation
@testable import Kernels
import Tensors
import XCTest

/// Runs rendered halo kernels on the CPU through ``ImmaHostEmulation`` (with `wgmma` taking A from
/// registers) and compares them exactly with the CPU reference: the halo's copies, zero fill and
/// swizzle, the per-tap `ldmatrix` rows, the weight ring, the register double-buffering against the
/// in-flight `wgmma`, partial boxes at every edge and the epilogue's row -> pixel map. Needs a C++
/// compiler (skipped without one).
///
/// `Q3D_IMMA_EMULATE=n` emulates n random configurations per workload instead of 1.
final class ImmaHaloEmulationTests: XCTestCase {
    /// Workloads the anchors do not cover: C = 24 (8-byte copies, a zero-padded channel block), K = 40 (a
    /// partial n-tile), asymmetric padding and odd extents (partial boxes at every edge); C = 3 (4-byte
    /// copies, pitch 4); a 2x3x3 kernel with one-sided depth padding; C = 160 (five 32-byte or three
    /// 64-byte channel blocks, the last one partial).
    static let oddWorkloads: [(name: String, workload: Conv3DParameters)] = [
        ("c24k40", try! Conv3DParameters(
            batch: 1, inputChannels: 24, outputChannels: 40, input: Extent3(5, 9, 11), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(front: 0, top: 1, left: 1, back: 2, bottom: 2, right: 1)))),
        ("c3k16", try! Conv3DParameters(
            batch: 2, inputChannels: 3, outputChannels: 16, input: Extent3(3, 6, 7), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))),
        ("k2x3x3", try! Conv3DParameters(
            batch: 1, inputChannels: 32, outputChannels: 48, input: Extent3(4, 7, 9), kernel: Extent3(2, 3, 3),
            padding: .explicit(Padding3D(front: 1, top: 1, left: 1, back: 0, bottom: 1, right: 1)))),
        ("c160", try! Conv3DParameters(
            batch: 1, inputChannels: 160, outputChannels: 32, input: Extent3(2, 5, 6), kernel: Extent3(uniform: 3),
            padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))),
    ]

    /// The anchors' small twins the template applies to (stride and dilation 1, more than one tap).
    static var twins: [(name: String, workload: Conv3DParameters)] {
        ImmaEmulationTests.smallTwins.filter { (try? ImmaHaloConv3DTemplate.space(for: $0.workload, on: .sm90a)) != nil }
    }

    override func setUpWithError() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
    }

    func testTheTwinsCoverTheStrideOneAnchors() {
        XCTAssertEqual(Self.twins.map(\.name), ["r3d.l1", "r3d.l2", "r3d.l3", "r3d.l4", "r2p1d.s", "r2p1d.t", "unet.64"])
    }

    /// The default configuration of every qualifying anchor layer (chosen for the full-size layer),
    /// run on its small twin: int32, int8 with ReLU, int8 with residual.
    func testDefaultConfigurationsOfTheAnchorLayers() throws {
        var cases: [(String, Conv3DParameters, ImmaHaloConv3DConfig, OutputKind)] = []
        let outputs: [OutputKind] = [.int32, .int8(relu: true, residual: false), .int8(relu: false, residual: true)]
        for (index, layer) in AnchorLayers.all().enumerated() {
            guard let twin = Self.twins.first(where: { $0.name == layer.name }) else { continue }
            let config = try ImmaHaloConv3DTemplate.defaultConfig(for: layer.parameters, on: .sm90a)
            cases.append((layer.name, twin.workload, config, outputs[index % outputs.count]))
        }
        XCTAssertEqual(cases.count, Self.twins.count)
        try Self.emulate(cases)
    }

    /// Each odd workload's default configuration with int32, int8 with ReLU and int8 with residual.
    func testOddWorkloads() throws {
        var cases: [(String, Conv3DParameters, ImmaHaloConv3DConfig, OutputKind)] = []
        let outputs: [OutputKind] = [.int32, .int8(relu: true, residual: false), .int8(relu: true, residual: true)]
        for (name, workload) in Self.oddWorkloads {
            let config = try ImmaHaloConv3DTemplate.defaultConfig(for: workload, on: .sm90a)
            for output in outputs { cases.append((name, workload, config, output)) }
        }
        try Self.emulate(cases)
    }

    /// `Q3D_IMMA_EMULATE` (default 1) configurations drawn from each twin's and odd workload's space, each
    /// with a random output kind.
    func testSampledConfigurations() throws {
        let perWorkload = Int(ProcessInfo.processInfo.environment["Q3D_IMMA_EMULATE"] ?? "") ?? 1
        var rng = SeededGenerator(seed: 0x4A10)
        var cases: [(String, Conv3DParameters, ImmaHaloConv3DConfig, OutputKind)] = []
        for (name, workload) in Self.twins + Self.oddWorkloads {
            let space = try ImmaHaloConv3DTemplate.space(for: workload, on: .sm90a)
            for point in space.sample(count: perWorkload, using: &rng) {
                let config = try space.config(at: point, as: ImmaHaloConv3DConfig.self)
                let outputs = ImmaEmulationTests.outputs
                cases.append((name, workload, config, outputs[Int.random(in: 0..<outputs.count, using: &rng)]))
            }
        }
        try Self.emulate(cases)
    }

    /// Resident weights (each warpgroup walking boxes of its own, named barriers per warpgroup): on every twin
    /// and odd workload, configurations drawn from the resident part of the space — several warpgroups,
    /// so that boxes are shared out and warpgroups finish at different times — with a random output kind.
    func testResidentWeightConfigurations() throws {
        var rng = SeededGenerator(seed: 0x4E51)
        var cases: [(String, Conv3DParameters, ImmaHaloConv3DConfig, OutputKind)] = []
        var covered: [String] = []
        for (name, workload) in Self.twins + Self.oddWorkloads {
            let configs = try Self.residentConfigs(workload, count: 2, using: &rng)
            if !configs.isEmpty { covered.append(name) }
            for config in configs {
                XCTAssertEqual(config.resident, 1)
                let outputs = ImmaEmulationTests.outputs
                cases.append((name, workload, config, outputs[Int.random(in: 0..<outputs.count, using: &rng)]))
            }
        }
        // Every workload but r3d.l4, whose 512 x 3456 weight bytes per n-tile of 512 cannot stay in shared memory
        // (nor can a narrower n-tile's with its halos).
        XCTAssertEqual(covered, (Self.twins + Self.oddWorkloads).map(\.name).filter { $0 != "r3d.l4" })
        try Self.emulate(cases)
    }

    /// Up to `count` valid resident configurations of `workload` with more than one warpgroup where there
    /// are any, from a sample of its space.
    static func residentConfigs(_ workload: Conv3DParameters, count: Int, using rng: inout SeededGenerator) throws -> [ImmaHaloConv3DConfig] {
        let space = try ImmaHaloConv3DTemplate.space(for: workload, on: .sm90a)
        let all = try space.sample(count: 400, using: &rng).map { try space.config(at: $0, as: ImmaHaloConv3DConfig.self) }
        let resident = all.filter { $0.resident == 1 }
        let several = resident.filter { $0.warpgroups > 1 }
        return Array((several.isEmpty ? resident : several).prefix(count))
    }

    /// The emulation's checks bite: letting two `wgmma` groups run (so that the next step's `ldmatrix`
    /// overwrites registers an operation in flight still reads) fails with the register check, and
    /// dropping the halo's swizzle from the fragment loads gives wrong sums.
    func testTheEmulationCatchesBrokenKernels() throws {
        let (_, workload) = Self.oddWorkloads[0]
        let config = try ImmaHaloConv3DTemplate.defaultConfig(for: workload, on: .sm90a)
        let kernel = try ImmaHaloConv3DTemplate.render(workload: workload, config: config, output: .int32)
        let problem = try ImmaTestProblem(workload, seed: 7)
        func mutated(_ old: String, _ new: String) throws -> KernelSource {
            XCTAssertTrue(kernel.text.contains(old), old)
            var copy = kernel
            copy.text = kernel.text.replacingOccurrences(of: old, with: new)
            return copy
        }
        let early = try mutated("q3d_wgmma_wait<1>();", "q3d_wgmma_wait<2>();")
        XCTAssertThrowsError(try ImmaEmulationHarness.run(early, output: .int32, problem: problem)) { error in
            XCTAssertTrue("\(error)".contains("changed while the operation reading it was in flight"), "\(error)")
        }
        let unswizzled = try mutated("halo + q3d_swizzle(p, (2 * ks + lane_chunk) * 16)", "halo + p * CB + (2 * ks + lane_chunk) * 16")
        let outcome = try ImmaEmulationHarness.run(unswizzled, output: .int32, problem: problem)
        XCTAssertGreaterThan(outcome.mismatches, 0)
    }

    /// With resident weights, the wait that ends a channel block is what keeps the next halo's fragments
    /// from being loaded before its copies land: without it the emulation reads poison. (The warpgroup
    /// barrier after it, which makes the other warps' copies visible on the GPU, cannot be tested this
    /// way: the emulation's warpgroup-collective `wgmma` already keeps a warpgroup's warps together.)
    func testTheEmulationCatchesAnUnwaitedHalo() throws {
        let (_, workload) = Self.oddWorkloads[3]  // c160: several channel blocks
        var rng = SeededGenerator(seed: 0x4E52)
        let config = try XCTUnwrap(Self.residentConfigs(workload, count: 1, using: &rng).first)
        let kernel = try ImmaHaloConv3DTemplate.render(workload: workload, config: config, output: .int32)
        let problem = try ImmaTestProblem(workload, seed: 9)
        XCTAssertEqual(try ImmaEmulationHarness.run(kernel, output: .int32, problem: problem).mismatches, 0)
        let wait = "q3d_cp_async_wait<0>();\n          q3d_warpgroup_barrier(1 + warpgroup);"
        XCTAssertTrue(kernel.text.contains(wait))
        var broken = kernel
        broken.text = kernel.text.replacingOccurrences(of: wait, with: "q3d_warpgroup_barrier(1 + warpgroup);")
        do {
            let outcome = try ImmaEmulationHarness.run(broken, output: .int32, problem: problem)
            XCTAssertGreaterThan(outcome.mismatches, 0, "\(config)")
        } catch {
            // An emulation error (a read of a copy that has not landed) is the check biting too.
        }
    }

    static func emulate(_ cases: [(String, Conv3DParameters, ImmaHaloConv3DConfig, OutputKind)]) throws {
        try ImmaEmulationTests.emulate(cases.map { name, workload, config, output in
            (name, workload, config.json, output, { () throws -> KernelSource in
                try ImmaHaloConv3DTemplate.render(workload: workload, config: config, output: output)
            })
        })
    }
}
