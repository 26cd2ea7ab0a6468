import CUDARuntime
@testable import Kernels
import XCTest

/// The `wgmma` throughput kernel of `q3d peak`: its shapes are checked, its swizzled layout puts every
/// operand byte in its own place, its CPU answer is the plain product, and every shape the command
/// offers compiles for sm_90a without spilling (skipped without NVRTC).
final class WgmmaPeakKernelTests: XCTestCase {
    func testRejectsShapesWgmmaHasNot() {
        for (n, warpgroups, steps, rows, named) in [
            (12, 2, 4, 0, "n 12"), (264, 2, 4, 0, "n 264"), (64, 0, 4, 0, "warpgroups 0"), (64, 5, 4, 0, "warpgroups 5"),
            (64, 2, 9, 0, "k steps 9"), (64, 2, 4, -1, "copy rows -1"), (256, 4, 4, 0, "n 256 with 4 warpgroups"), (192, 4, 4, 0, "expected n at most 176"),
        ] {
            XCTAssertThrowsError(try WgmmaPeakKernel(n: n, warpgroups: warpgroups, kSteps: steps, copyRows: rows)) { error in
                XCTAssertTrue("\(error)".contains(named), "\(error)")
                XCTAssertTrue("\(error)".contains("expected"), "\(error)")
            }
        }
    }

    func testSwizzledLayoutIsAPermutationOfTheTile() {
        for rows in [64, 128, 256] {
            for depth in [32, 128] {
                var seen = Set<Int>()
                for row in 0..<rows {
                    for byte in 0..<depth { seen.insert(WgmmaPeakKernel.swizzledOffset(row: row, byte: byte, rows: rows)) }
                }
                XCTAssertEqual(seen.count, rows * depth)
                XCTAssertEqual(seen.min(), 0)
                XCTAssertEqual(seen.max(), rows * depth - 1)
            }
        }
        // Rows 0-3 keep their 16-byte halves, rows 4-7 swap them (the 32-byte swizzle); k-step 1 follows step 0.
        XCTAssertEqual(WgmmaPeakKernel.swizzledOffset(row: 1, byte: 17, rows: 64), 32 + 17)
        XCTAssertEqual(WgmmaPeakKernel.swizzledOffset(row: 5, byte: 17, rows: 64), 5 * 32 + 1)
        XCTAssertEqual(WgmmaPeakKernel.swizzledOffset(row: 5, byte: 33, rows: 64), (64 + 5) * 32 + 16 + 1)
    }

    func testExpectedIsIterationsTimesTheProduct() throws {
        let kernel = try WgmmaPeakKernel(n: 8, warpgroups: 2, kSteps: 1)
        let a = (0..<kernel.aBytes).map { Int8(truncatingIfNeeded: $0 * 7 + 3) }
        let b = (0..<kernel.bBytes).map { Int8(truncatingIfNeeded: $0 * 13 - 5) }
        let out = kernel.expected(a: a, b: b, iterations: 3)
        XCTAssertEqual(out.count, 2 * 64 * 8)
        for (w, row, column) in [(0, 0, 0), (1, 63, 7), (1, 10, 3)] {
            var sum: Int32 = 0
            for k in 0..<32 { sum += Int32(a[(w * 64 + row) * 32 + k]) * Int32(b[column * 32 + k]) }
            XCTAssertEqual(out[(w * 64 + row) * 8 + column], 3 * sum)
        }
        XCTAssertEqual(kernel.macsPerRound, 2 * 64 * 8 * 32)
    }

    func testEveryOfferedShapeCompilesForSm90aWithoutSpilling() throws {
        guard let library = try? NVRTC.library(for: "sm_90a") else {
            throw XCTSkip("NVRTC for sm_90a not found; searched: \(NVRTC.searched().joined(separator: "; "))")
        }
        for (n, warpgroups, rows) in [(64, 1, 0), (64, 2, 256), (128, 2, 0), (128, 3, 256), (256, 2, 0), (256, 2, 384), (256, 3, 0), (128, 4, 0)] {
            let kernel = try WgmmaPeakKernel(n: n, warpgroups: warpgroups, copyRows: rows)
            let compiled = try library.compile(
                source: kernel.source, name: WgmmaPeakKernel.name, arch: "sm_90a", options: ["--std=c++17", "--ptxas-options=-v"])
            XCTAssertEqual(compiled.spillBytes ?? 0, 0, "\(kernel): \(compiled.log)")
            XCTAssertGreaterThanOrEqual(compiled.registers ?? 0, n / 2, "\(kernel): the accumulators live in registers")
        }
    }
}
