import ConvGeometry
import Foundation
import Synchronization
@testable import Kernels
import Tensors
import XCTest

/// Runs rendered imma kernels on the CPU through ``ImmaHostEmulation`` and compares them exactly with
/// the CPU reference: the kernels' index arithmetic, predicates, swizzle, pipeline, split-K exchange
/// and epilogue, before any GPU sees them. Needs a C++ compiler (skipped without one).
///
/// `Q3D_IMMA_EMULATE=n` emulates n random configurations per workload instead of 1.
final class ImmaEmulationTests: XCTestCase {
    /// The odd workload of the compile sweep: C = 24, K = 40, dilation 2, asymmetric padding.
    static let odd = try! Conv3DParameters(
        batch: 1, inputChannels: 24, outputChannels: 40, input: Extent3(9, 9, 9), kernel: Extent3(uniform: 3),
        dilation: Extent3(uniform: 2), padding: .explicit(Padding3D(front: 0, top: 1, left: 1, back: 2, bottom: 2, right: 1)))

    /// Each anchor layer's kernel, stride and padding on a small batch and volume (and, for r3d.l3 and
    /// r3d.l4, fewer channels), so that an emulated run takes seconds; M stays above 128 in most, so that
    /// every block_m candidate is valid somewhere.
    static let smallTwins: [(name: String, workload: Conv3DParameters)] = {
        func conv(_ n: Int, _ c: Int, _ k: Int, _ dhw: Extent3, _ kernel: Extent3, stride: Extent3 = Extent3(uniform: 1), pad: Extent3) -> Conv3DParameters {
            try! Conv3DParameters(batch: n, inputChannels: c, outputChannels: k, input: dhw, kernel: kernel, stride: stride,
                                  padding: .explicit(Padding3D(symmetric: pad)))
        }
        let k3 = Extent3(uniform: 3), p1 = Extent3(uniform: 1)
        return [
            ("r3d.stem", conv(1, 3, 64, Extent3(4, 20, 20), Extent3(3, 7, 7), stride: Extent3(1, 2, 2), pad: Extent3(1, 3, 3))),
            ("r3d.l1", conv(1, 64, 64, Extent3(2, 10, 10), k3, pad: p1)),
            ("r3d.l2", conv(1, 128, 128, Extent3(2, 9, 9), k3, pad: p1)),
            ("r3d.l3", conv(1, 96, 192, Extent3(2, 8, 9), k3, pad: p1)),
            ("r3d.l4", conv(2, 64, 256, Extent3(2, 3, 3), k3, pad: p1)),
            ("r2p1d.s", conv(1, 64, 144, Extent3(2, 9, 9), Extent3(1, 3, 3), pad: Extent3(0, 1, 1))),
            ("r2p1d.t", conv(1, 144, 64, Extent3(4, 6, 6), Extent3(3, 1, 1), pad: Extent3(1, 0, 0))),
            ("i3d.pw", conv(2, 256, 64, Extent3(2, 6, 7), Extent3(uniform: 1), pad: Extent3(uniform: 0))),
            ("unet.64", conv(1, 64, 64, Extent3(3, 8, 8), k3, pad: p1)),
            ("odd", odd),
        ]
    }()

    static let outputs: [OutputKind] = [
        .int32, .int8(relu: false, residual: false), .int8(relu: true, residual: false), .int8(relu: true, residual: true),
        .int8(relu: false, residual: true),
    ]

    override func setUpWithError() throws {
        guard ImmaEmulationHarness.compiler != nil else { throw XCTSkip("no C++ compiler to emulate kernels with") }
    }

    /// The default configuration of every anchor layer (chosen for the full-size layer on sm_90), run
    /// on the layer's small twin, int32 and int8 with ReLU and residual.
    func testDefaultConfigurationsOfTheAnchorLayers() throws {
        var cases: [(String, Conv3DParameters, ImmaConv3DConfig, OutputKind)] = []
        for layer in AnchorLayers.all() {
            guard let twin = Self.smallTwins.first(where: { $0.name == layer.name }) else { continue }
            let config = try ImmaConv3DTemplate.defaultConfig(for: layer.parameters, on: .sm90)
            cases.append((layer.name, twin.workload, config, .int32))
            cases.append((layer.name, twin.workload, config, .int8(relu: true, residual: true)))
        }
        try Self.emulate(cases)
    }

    /// Uniformly sampled valid configurations of each small twin's own space, on sm_80 and sm_90
    /// alternately, with a random output kind.
    func testSampledConfigurations() throws {
        var rng = SeededGenerator(seed: 0x1_3A4A)
        try Self.emulate(try Self.sampledCases(Self.smallTwins, using: &rng))
    }

    /// `Q3D_IMMA_EMULATE` (default 1) configs drawn from each workload's `mma.sync` space, on sm_90 and
    /// sm_80 in turn, each with a random output kind.
    static func sampledCases(
        _ twins: [(name: String, workload: Conv3DParameters)], using rng: inout SeededGenerator
    ) throws -> [(String, Conv3DParameters, ImmaConv3DConfig, OutputKind)] {
        let perWorkload = Int(ProcessInfo.processInfo.environment["Q3D_IMMA_EMULATE"] ?? "") ?? 1
        var cases: [(String, Conv3DParameters, ImmaConv3DConfig, OutputKind)] = []
        for (index, twin) in twins.enumerated() {
            let arch: GPUArchitecture = index % 2 == 0 ? .sm90 : .sm80
            let space = try ImmaConv3DTemplate.space(for: twin.workload, on: arch)
            for point in space.sample(count: perWorkload, using: &rng) {
                let config = try space.config(at: point, as: ImmaConv3DConfig.self)
                cases.append((twin.name, twin.workload, config, outputs[Int.random(in: 0..<outputs.count, using: &rng)]))
            }
        }
        return cases
    }

    /// The `wgmma` template's default configuration of every anchor layer on its small twin, int32 and
    /// int8 with ReLU and residual; then sampled configurations of the twins' own sm_90a spaces.
    func testWgmmaConfigurations() throws {
        let perWorkload = Int(ProcessInfo.processInfo.environment["Q3D_IMMA_EMULATE"] ?? "") ?? 1
        var cases: [(String, Conv3DParameters, ImmaWgmmaConv3DConfig, OutputKind)] = []
        for layer in AnchorLayers.all() {
            guard let twin = Self.smallTwins.first(where: { $0.name == layer.name }) else { continue }
            let config = try ImmaWgmmaConv3DTemplate.defaultConfig(for: layer.parameters, on: .sm90a)
            cases.append((layer.name, twin.workload, config, layer.name.hasPrefix("r3d") ? .int32 : .int8(relu: true, residual: true)))
        }
        var rng = SeededGenerator(seed: 0x36_3A4A)
        for twin in Self.smallTwins {
            let space = try ImmaWgmmaConv3DTemplate.space(for: twin.workload, on: .sm90a)
            for point in space.sample(count: perWorkload, using: &rng) {
                let config = try space.config(at: point, as: ImmaWgmmaConv3DConfig.self)
                cases.append((twin.name, twin.workload, config, Self.outputs[Int.random(in: 0..<Self.outputs.count, using: &rng)]))
            }
        }
        try Self.emulate(cases.map { name, workload, config, output in
            (name, workload, config.json, output, { () throws -> KernelSource in
                try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
            })
        })
    }

    /// 192-row tiles: three warpgroups of one 64-row `wgmma` tile each, or one warpgroup of three, with
    /// staged int8 output, split-K and the persistent walk — exact on the small twins of r3d.l2, r3d.l3
    /// and i3d.pw (the layers whose waves they even out) and on the odd workload.
    func testThreeWarpgroupTiles() throws {
        func config(_ n: Int, _ k: Int, warpgroups: Int, stages: Int, split: Int = 1, staged: Int = 0, persistent: Int = 0,
                    vector: Int = 16) -> ImmaWgmmaConv3DConfig {
            ImmaWgmmaConv3DConfig(blockM: 192, blockN: n, blockK: k, warpgroups: warpgroups, stages: stages, wgmmaInFlight: 1,
                                  splitK: split, inputVectorBytes: vector, persistent: persistent, stagedOutput: staged)
        }
        let cases: [(String, ImmaWgmmaConv3DConfig, OutputKind)] = [
            ("r3d.l2", config(128, 128, warpgroups: 3, stages: 4, staged: 1), .int8(relu: true, residual: true)),
            ("r3d.l2", config(128, 128, warpgroups: 3, stages: 3), .int32),
            ("r3d.l3", config(64, 128, warpgroups: 3, stages: 4, staged: 1), .int8(relu: false, residual: false)),
            ("r3d.l3", config(128, 64, warpgroups: 3, stages: 4, split: 2), .int8(relu: true, residual: true)),
            ("i3d.pw", config(64, 64, warpgroups: 3, stages: 4, staged: 1, persistent: 1), .int8(relu: true, residual: true)),
            ("i3d.pw", config(64, 64, warpgroups: 1, stages: 3), .int32),
            ("odd", config(48, 32, warpgroups: 3, stages: 3, vector: 8), .int8(relu: true, residual: false)),
            ("r3d.l1", config(64, 64, warpgroups: 3, stages: 4, staged: 1), .int8(relu: true, residual: true)),
        ]
        try Self.emulate(try cases.map { name, config, output in
            let workload = Self.smallTwins.first { $0.name == name }!.workload
            try ImmaWgmmaConv3DTemplate.validate(config, for: workload, on: .sm90a)
            return (name, workload, config.json, output, { () throws -> KernelSource in
                try ImmaWgmmaConv3DTemplate.render(workload: workload, config: config, output: output)
            })
        })
    }

    /// Emulates the cases two at a time; every failure is reported with its workload, configuration,
    /// output kind and seed.
    static func emulate(_ cases: [(String, Conv3DParameters, ImmaConv3DConfig, OutputKind)]) throws {
        try Self.emulate(cases.map { name, workload, config, output in
            (name, workload, config.json, output, { () throws -> KernelSource in
                try ImmaConv3DTemplate.render(workload: workload, config: config, output: output)
            })
        })
    }

    static func emulate(_ cases: [(String, Conv3DParameters, String, OutputKind, @Sendable () throws -> KernelSource)]) throws {
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            let (name, workload, json, output, render) = cases[i]
            let seed = UInt64(1000 + i)
            let label = "\(name) [\(json)] \(output) seed \(seed)"
            do {
                let kernel = try render()
                let outcome = try ImmaEmulationHarness.run(
                    kernel, output: output, problem: try ImmaTestProblem(workload, seed: seed), scheduleSeed: i)
                print(String(format: "emulated %@: %d mismatches, compile %.1f s, run %.1f s", label, outcome.mismatches,
                             outcome.compileSeconds, outcome.runSeconds))
                if outcome.mismatches > 0 {
                    failures.withLock { $0.append("\(label): \(outcome.mismatches) mismatches, first \(outcome.firstMismatch ?? "")") }
                }
            } catch {
                failures.withLock { $0.append("\(label): \(error)") }
            }
        }
        let found = failures.withLock { $0 }
        XCTAssertTrue(found.isEmpty, "\(found.count) of \(cases.count) emulated kernels failed:\n" + found.joined(separator: "\n"))
    }
}
