import Graph
import Quantization
import Tensors
import XCTest

/// Threshold selection on known distributions, and the histogram it reads.
final class CalibrationTests: XCTestCase {
    let seed: UInt64 = 0xCA11B

    /// |N(0, 1)| samples with a few large outliers, as activations with rare spikes look.
    func gaussianWithOutliers(count: Int) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        var values = (0..<count).map { _ -> Float in
            let u = Float.random(in: Float.ulpOfOne..<1, using: &rng)
            let v = Float.random(in: 0..<1, using: &rng)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        for i in 0..<5 { values[i * 997] = 40 }
        return values
    }

    func testHistogramDoublingKeepsEveryCountAndTheMaximum() {
        var h = ActivationHistogram(bins: 64)
        h.add([0.5, 1.0, 0, -0.25])
        h.add([7.9, -3])
        XCTAssertEqual(h.total, 6)
        XCTAssertEqual(h.zeros, 1)
        XCTAssertEqual(h.maxAbs, 7.9)
        XCTAssertGreaterThan(h.range, 7.9)
        XCTAssertLessThanOrEqual(h.range, 2 * 7.9 * 1.0001 * 2)
    }

    func testMethodsOnGaussianWithOutliers() {
        var h = ActivationHistogram(bins: 2048)
        h.add(gaussianWithOutliers(count: 100_000))
        let max = ThresholdSelection.threshold(h, method: .max)
        let p = ThresholdSelection.threshold(h, method: .percentile(99.99))
        let kl = ThresholdSelection.threshold(h, method: .entropy)
        let mse = ThresholdSelection.threshold(h, method: .mse)
        XCTAssertEqual(max, 40, "seed \(seed)")
        // 99.99% of |N(0,1)| lies below about 3.9; five outliers in 100,000 do not move it.
        XCTAssertEqual(p, 3.9, accuracy: 0.35, "seed \(seed)")
        // Entropy clips the outliers and keeps the bulk of the distribution.
        XCTAssertGreaterThan(kl, 2, "seed \(seed)")
        XCTAssertLessThan(kl, 10, "seed \(seed)")
        // MSE picks the threshold of least squared error on the samples themselves (here it keeps
        // the outliers: each would cost 36² clipped).
        let samples = gaussianWithOutliers(count: 100_000)
        func error(_ t: Float) -> Double {
            let s = t / 127
            return samples.reduce(0.0) { sum, x in
                let q = Swift.min(Swift.max((x / s).rounded(.toNearestOrEven), -127), 127) * s
                return sum + Double((x - q) * (x - q))
            }
        }
        for (name, t) in [("max", max), ("percentile", p), ("entropy", kl)] {
            XCTAssertLessThanOrEqual(error(mse), error(t) * 1.05, "mse vs \(name), seed \(seed)")
        }
    }

    func testAllZeroActivationGetsAUsableScale() throws {
        var b = GraphBuilder(name: "dead")
        let x = b.input("x", [1, 1, 2, 2, 2])
        b.constant("w", .float32(try Tensor(shape: [1, 1, 1, 1, 1], elements: [1])))
        b.output(b.conv(x, weight: "w", kernel: [1, 1, 1]))
        let zeros = AnyTensor.float32(try Tensor(shape: [1, 1, 2, 2, 2], repeating: 0))
        let model = try Quantizer().quantize(try b.build(), calibration: [zeros])
        XCTAssertTrue(model.scales.values.allSatisfy { $0 > 0 && $0.isFinite })
        XCTAssertEqual(try CPUExecutor(model.int8).run(zeros).floatValues, Array(repeating: 0, count: 8))
    }

    func testParsingMethodNames() {
        XCTAssertEqual(CalibrationMethod(parsing: "percentile"), .percentile(99.99))
        XCTAssertEqual(CalibrationMethod(parsing: "percentile:99.9"), .percentile(99.9))
        XCTAssertEqual(CalibrationMethod(parsing: "KL"), .entropy)
        XCTAssertEqual(CalibrationMethod(parsing: "mse"), .mse)
        XCTAssertNil(CalibrationMethod(parsing: "percentile:101"))
        XCTAssertNil(CalibrationMethod(parsing: "median"))
    }
}
