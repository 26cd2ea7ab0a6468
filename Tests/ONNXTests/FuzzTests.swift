import Foundation
import Graph
import ONNX
import Quantization
import Tensors
import XCTest

/// Random mutations of the ONNX fixtures: importing (and, when that succeeds, running) a corrupt or
/// truncated model must end in an error or a result, never a crash. Bounded, so that CI stays fast.
final class FuzzTests: XCTestCase {
    /// Q3D_FUZZ_SEED and Q3D_FUZZ_MUTATIONS run a longer campaign locally.
    static let seed = ProcessInfo.processInfo.environment["Q3D_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x0F_022E
    static let mutationsPerFixture = ProcessInfo.processInfo.environment["Q3D_FUZZ_MUTATIONS"].flatMap { Int($0) } ?? 60

    func testMutatedFixturesNeverCrash() throws {
        var rng = SeededGenerator(seed: Self.seed)
        var imported = 0
        var rejected = 0
        var ran = 0
        let fixtures = Fixtures.opGroups.flatMap { g in g.opsets.map { (g.name, "\(g.name).opset\($0).onnx") } }
            + [("motion3d", "../motion3d/motion3d.onnx")]
        for (group, file) in fixtures {
            let original = try [UInt8](Data(contentsOf: URL(filePath: Fixtures.ops(file))))
            let input = group == "motion3d" ? nil : try Fixtures.npy(Fixtures.ops("\(group).input.npy"))
            for i in 0..<Self.mutationsPerFixture {
                let bytes = Self.mutate(original, &rng)
                let result = Result { () throws(ONNXError) -> Graph in try ONNXImporter.load(bytes: bytes) }
                guard case .success(let graph) = result else {
                    if case .failure(let error) = result {
                        XCTAssertFalse(error.description.isEmpty, "seed \(Self.seed), \(file) mutation \(i)")
                    }
                    rejected += 1
                    continue
                }
                imported += 1
                guard let input, Self.small(graph) else { continue }
                if (try? CPUExecutor(graph).run([graph.inputs.first?.name ?? "": input])) != nil { ran += 1 }
            }
        }
        print("fuzz seed \(Self.seed): \(imported) imported, \(rejected) rejected, \(ran) ran")
        XCTAssertGreaterThan(rejected, 0)
    }

    /// Running is attempted only when every known value is small: a mutation that asks for a huge
    /// tensor is a valid model too, just not one to allocate in a unit test.
    static func small(_ graph: Graph) -> Bool {
        graph.types.values.allSatisfy { t in
            t.shape.allSatisfy { ($0.value ?? 1) <= 4096 } && (t.shape.compactMap(\.value).reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) <= 1 << 20
        }
    }

    /// One of: flip bytes, truncate, overwrite a run with random bytes, duplicate a slice, or set a
    /// varint-looking byte to a large value.
    static func mutate(_ bytes: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        var b = bytes
        guard !b.isEmpty else { return b }
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                b[Int.random(in: 0..<b.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
        case 1:
            b = Array(b.prefix(Int.random(in: 0..<b.count, using: &rng)))
        case 2:
            let start = Int.random(in: 0..<b.count, using: &rng)
            for j in start..<min(b.count, start + Int.random(in: 1...16, using: &rng)) { b[j] = UInt8.random(in: 0...255, using: &rng) }
        case 3:
            let start = Int.random(in: 0..<b.count, using: &rng)
            let end = min(b.count, start + Int.random(in: 1...64, using: &rng))
            b.insert(contentsOf: b[start..<end], at: Int.random(in: 0...b.count, using: &rng))
        default:
            b[Int.random(in: 0..<b.count, using: &rng)] = 0xFF
        }
        return b
    }
}
