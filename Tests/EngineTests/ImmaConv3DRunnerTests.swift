import ConvGeometry
import CUDARuntime
@testable import Engine
import Kernels
import Tensors
import XCTest

final class ImmaConv3DRunnerTests: XCTestCase {
    static let small = try! Conv3DParameters(
        batch: 1, inputChannels: 6, outputChannels: 5, input: Extent3(2, 3, 4), kernel: Extent3(uniform: 3),
        padding: .explicit(Padding3D(symmetric: Extent3(uniform: 1))))

    /// Packs `logical` NCDHW values into `[N, Do, Ho, Wo, pitch]`, the padding channels set to `padding`.
    func packed(_ logical: [Int32], _ p: Conv3DParameters, pitch: Int, padding: Int32 = 0) -> [Int32] {
        let (k, volume) = (p.outputChannels, p.output.volume)
        var out = [Int32](repeating: padding, count: p.batch * volume * pitch)
        for n in 0..<p.batch { for c in 0..<k { for s in 0..<volume {
            out[(n * volume + s) * pitch + c] = logical[(n * k + c) * volume + s]
        } } }
        return out
    }

    func testVerificationIsExactAndNamesEachKindOfFailure() throws {
        let p = Self.small
        let problem = try ImmaConv3DProblem.random(p, seed: 3, relu: true, residual: true)
        let expected = try problem.expected()
        let sums = expected.accumulators.elements
        let good = packed(sums, p, pitch: 8)
        let poisons: (UInt8, UInt8) = (0x5A, 0xA5)
        func check(_ a: [Int32], _ b: [Int32], int8: Bool = false) -> ImmaConv3DVerification {
            ImmaConv3DVerification(first: a, second: b, poisons: poisons, int8: int8, expected: expected, workload: p, outputPitch: 8)
        }
        XCTAssertTrue(check(good, good).passed, check(good, good).summary)

        var wrong = good
        wrong[1] += 1
        XCTAssertEqual(check(wrong, wrong).mismatches, 1)
        var unwrittenA = good, unwrittenB = good
        unwrittenA[2] = Int32(bitPattern: 0x5A5A_5A5A)
        unwrittenB[2] = Int32(bitPattern: 0xA5A5_A5A5)
        let unwritten = check(unwrittenA, unwrittenB)
        XCTAssertEqual(unwritten.unwritten, 1)
        XCTAssertEqual(unwritten.mismatches, 0)
        var padded = good
        padded[6] = 3  // channel 6 of pixel 0 is padding (K = 5, pitch 8)
        XCTAssertEqual(check(padded, padded).nonZeroPadding, 1)
        var unstable = good
        unstable[0] += 7
        let differing = check(good, unstable)
        XCTAssertEqual(differing.unstable, 1)
        XCTAssertFalse(differing.passed)

        let requantized = packed(expected.requantized.elements.map { Int32($0) }, p, pitch: 8)
        XCTAssertTrue(check(requantized, requantized, int8: true).passed)
        XCTAssertGreaterThan(check(good, good, int8: true).mismatches, 0)
    }

    func testTimingMedian() {
        XCTAssertEqual(KernelTiming(milliseconds: [3, 1, 2]).median, 2)
        XCTAssertEqual(KernelTiming(milliseconds: [4, 1, 2, 3]).median, 2.5)
        XCTAssertEqual(KernelTiming(milliseconds: []).median, 0)
        XCTAssertEqual(KernelTiming(milliseconds: [4, 1]).minimum, 1)
    }

    /// On a GPU: the default and a few random configurations of two small workloads verify exactly.
    func testSmallWorkloadsVerifyOnTheGPU() throws {
        guard case .available = CUDADriver.availability() else {
            throw XCTSkip("no CUDA device: \(CUDADriver.availability())")
        }
        let context = try CUDAContext(ordinal: 0)
        guard context.device.computeCapability.major >= 8 else { throw XCTSkip("imma needs sm_80 or later: \(context.device)") }
        let runner = ImmaConv3DRunner(context: context, cache: ModuleCache(directory: nil))
        let workloads = [NamedConv3D("small", Self.small)] + (try ImmaConv3DBenchmark.verificationWorkloads().suffix(1))
        for output in [OutputKind.int32, .int8(relu: true, residual: true)] {
            let rows = try ImmaConv3DBenchmark.run(
                workloads: workloads, options: .init(randomConfigs: 4, output: output, warmup: 1, repeats: 3), runner: runner)
            for row in rows {
                guard case .passed = row.outcome else { return XCTFail(row.summary) }
            }
        }
    }
}
