import ConvGeometry
import CPUKernels
import Foundation
import Tensors
import XCTest

/// Throughput of the fast kernels on two anchor layers at N=1, on all active cores. Skipped unless
/// `Q3D_CPU_BENCH=1`; meaningful only in release:
///
///     Q3D_CPU_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter FastConv3DBenchmarkTests
///
/// `Q3D_CPU_BENCH_RUNS` sets the number of timed calls (default 5); `Q3D_CPU_BENCH_REFERENCE=1` adds one
/// call of each reference convolution. Each figure is the median (and best) of the calls after a
/// warm-up; a call includes packing the input and allocating the output, not packing the weights
/// (done once, as a model would).
final class FastConv3DBenchmarkTests: XCTestCase {
    func testAnchorLayerThroughput() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["Q3D_CPU_BENCH"] == "1" else {
            throw XCTSkip("set Q3D_CPU_BENCH=1 and build with -c release to measure")
        }
        let withReference = environment["Q3D_CPU_BENCH_REFERENCE"] == "1"
        let runs = max(1, environment["Q3D_CPU_BENCH_RUNS"].flatMap { Int($0) } ?? 5)
        let options = CPUConv3DOptions()
        print("CPU: \(CPUFeatures.current), instruction set \(options.instructionSet), threads \(options.threads)")
        for name in ["r3d.l2", "r2p1d.s"] {
            let layer = try XCTUnwrap(AnchorLayers.named(name, batch: 1))
            let p = layer.parameters
            var rng = SeededGenerator(seed: 1)
            let x = try Tensor<Int8>.randomNonZero(shape: p.inputShape, using: &rng)
            let w = try Tensor<Int8>.randomNonZero(shape: p.weightShape, using: &rng)
            let xf = try Tensor<Float>.randomNonZero(shape: p.inputShape, using: &rng)
            let wf = try Tensor<Float>.randomNonZero(shape: p.weightShape, using: &rng)
            let packed = try PackedConv3DWeights(w, parameters: p)
            let packedFloat = try PackedConv3DWeights(wf, parameters: p)
            let epilogue = Epilogue(
                scale: Array(repeating: 1e-4, count: p.outputChannels),
                bias: Array(repeating: 0, count: p.outputChannels),
                relu: true)
            let bias = [Float](repeating: 0.5, count: p.outputChannels)
            func report(_ label: String, runs: Int = runs, _ body: () throws -> Void) rethrows {
                try body()
                var seconds: [Double] = []
                for _ in 0..<runs {
                    let t = try ContinuousClock().measure(body).components
                    seconds.append(Double(t.seconds) + Double(t.attoseconds) * 1e-18)
                }
                seconds.sort()
                func gops(_ s: Double) -> String { String(format: "%.2f", Double(p.flops) / s / 1e9) }
                print("\(name) [\(p)] \(label): median \(String(format: "%.1f", seconds[runs / 2] * 1e3)) ms "
                      + "\(gops(seconds[runs / 2])) GOPS, best \(gops(seconds[0])) GOPS")
            }
            try report("fast int8 -> int32") { _ = try FastConv3D.conv3d(x, packed, parameters: p, options: options) }
            try report("fast int8 -> int8 epilogue") {
                _ = try FastConv3D.conv3d(x, packed, parameters: p, epilogue: epilogue, options: options)
            }
            try report("fast float + bias + relu") {
                _ = try FastConv3D.conv3d(xf, packedFloat, bias: bias, relu: true, parameters: p, options: options)
            }
            if withReference {
                try report("reference int8 (1 thread)", runs: 1) { _ = try ReferenceConv3D.conv3d(x, w, parameters: p) }
                try report("reference float (1 thread)", runs: 1) {
                    _ = try ReferenceConv3D.conv3d(xf, wf, bias: bias, parameters: p)
                }
            }
        }
    }
}
