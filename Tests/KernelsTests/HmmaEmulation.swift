import ConvGeometry
import Foundation
@testable import Kernels
import Tensors

/// Runs rendered hmma kernels on the CPU through the imma host emulation (``ImmaHostEmulation``: fibers
/// per thread, late `cp.async`, bounds-checked buffers, collective `ldmatrix`), with host versions of
/// the fp16 helpers: `mma.m16n8k16` rebuilds the 16x16 fp16 A, 16x8 B and 16x8 fp32 C tiles from the
/// lanes' registers (PTX ISA, "Matrix fragments for mma.m16n8k16"), multiplies (fp16 products are exact
/// in fp32) and accumulates in fp32.
enum HmmaEmulation {
    static let halfPrelude = #"""
        Q3D_DEVICE float q3d_half_to_float(uint32_t bits) {
          _Float16 h;
          const uint16_t b = (uint16_t)bits;
          memcpy(&h, &b, 2);
          return (float)h;
        }
        Q3D_DEVICE void q3d_mma_f16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
          using namespace q3d_emu;
          uint32_t in[10] = {a[0], a[1], a[2], a[3], b0, b1, 0, 0, 0, 0};
          memcpy(in + 6, d, 16);
          uint32_t out[4];
          collective(20, in, 10, out, 4, [](Warp& w) {
            float A[16][16], B[8][16], C[16][8];
            for (int lane = 0; lane < 32; ++lane) {
              const int g = lane >> 2, t = lane & 3;
              const uint32_t* v = w.in[lane];
              for (int i = 0; i < 2; ++i) {
                A[g][2 * t + i] = q3d_half_to_float(v[0] >> (16 * i));
                A[g + 8][2 * t + i] = q3d_half_to_float(v[1] >> (16 * i));
                A[g][8 + 2 * t + i] = q3d_half_to_float(v[2] >> (16 * i));
                A[g + 8][8 + 2 * t + i] = q3d_half_to_float(v[3] >> (16 * i));
                B[g][2 * t + i] = q3d_half_to_float(v[4] >> (16 * i));
                B[g][8 + 2 * t + i] = q3d_half_to_float(v[5] >> (16 * i));
              }
              memcpy(&C[g][2 * t], &v[6], 8);
              memcpy(&C[g + 8][2 * t], &v[8], 8);
            }
            for (int row = 0; row < 16; ++row)
              for (int col = 0; col < 8; ++col)
                for (int k = 0; k < 16; ++k) C[row][col] += A[row][k] * B[col][k];
            for (int lane = 0; lane < 32; ++lane) {
              const int g = lane >> 2, t = lane & 3;
              memcpy(&w.out[lane][0], &C[g][2 * t], 8);
              memcpy(&w.out[lane][2], &C[g + 8][2 * t], 8);
            }
          });
          memcpy(d, out, 16);
        }
        Q3D_DEVICE void q3d_store_f32x4(float* p, const float (&v)[4]) {
          q3d_emu::check_global(p, 16, 16, "workspace store");
          memcpy(p, v, 16);
        }
        Q3D_DEVICE void q3d_load_f32x4_cg(const float* p, float (&v)[4]) {
          q3d_emu::check_global(p, 16, 16, "workspace load");
          memcpy(v, p, 16);
        }
        Q3D_DEVICE void q3d_store_f32x2(float* p, float x, float y) {
          q3d_emu::check_global(p, 8, 8, "float pair store");
          p[0] = x;
          p[1] = y;
        }
        Q3D_DEVICE void q3d_store_f16x2(uint16_t* p, float x, float y) {
          q3d_emu::check_global(p, 4, 4, "fp16 pair store");
          const _Float16 h[2] = {(_Float16)x, (_Float16)y};
          memcpy(p, h, 4);
        }

        """#

    struct Outcome {
        var mismatches: Int
        var first: String?
        var maxError: Double
    }

    /// Random fp16-representable data for `p`, the kernel run in the emulation, and its output compared
    /// with a float64 convolution within the KernelCheck tolerance (8·√R·2⁻²⁴·Σ|x·w|, plus half an fp16
    /// ulp for fp16 outputs).
    static func run(_ kernel: KernelSource, output: HmmaOutput, workload p: Conv3DParameters, seed: UInt64) throws -> Outcome {
        guard let compiler = ImmaEmulationHarness.compiler else { throw ImmaEmulationHarness.Failure.tool("no C++ compiler") }
        let geometry = try ImmaConv3DGeometry(halfPrecision: p)
        let cp = geometry.inputPitch / 2, kp = geometry.outputPitch, taps = p.kernel.volume
        var rng = SeededGenerator(seed: seed)
        func halves(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                var v: Float = 0
                while v == 0 { v = Float(Float16(Float.random(in: -1...1, using: &rng))) }
                return v
            }
        }
        let input = halves(p.inputShape.reduce(1, *))
        let weight = halves(p.weightShape.reduce(1, *))
        let bias = (0..<p.outputChannels).map { _ in Float.random(in: -1...1, using: &rng) }
        var packedInput = [UInt16](repeating: 0, count: p.batch * p.input.volume * cp)
        for n in 0..<p.batch { for c in 0..<p.inputChannels { for s in 0..<p.input.volume {
            packedInput[(n * p.input.volume + s) * cp + c] = Float16(input[(n * p.inputChannels + c) * p.input.volume + s]).bitPattern
        } } }
        var packedWeight = [UInt16](repeating: 0, count: kp * taps * cp)
        for k in 0..<p.outputChannels { for c in 0..<p.inputChannels { for t in 0..<taps {
            packedWeight[(k * taps + t) * cp + c] = Float16(weight[(k * p.inputChannels + c) * taps + t]).bitPattern
        } } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q3d-hmma-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try ImmaEmulationHarness.write(packedInput, to: dir.appendingPathComponent("input_half.bin"))
        try ImmaEmulationHarness.write(packedWeight, to: dir.appendingPathComponent("weight_half.bin"))
        try ImmaEmulationHarness.write(bias + [Float](repeating: 0, count: kp - bias.count), to: dir.appendingPathComponent("bias.bin"))

        guard let marker = kernel.text.range(of: ImmaKernelText.kernelMarker) else {
            throw ImmaEmulationHarness.Failure.tool("kernel text has no marker")
        }
        var driver = ImmaEmulationHarness.driver(kernel, residualScale: 0)
        for name in ["input_half", "weight_half"] {
            driver = driver.replacingOccurrences(of: "float* \(name) = (float*)", with: "uint16_t* \(name) = (uint16_t*)")
        }
        if case .float16 = output {
            driver = driver.replacingOccurrences(of: "float* output = (float*)", with: "uint16_t* output = (uint16_t*)")
        }
        // Split-K sums float partials in the order the blocks arrive, which the driver shuffles per launch.
        if kernel.parameters.contains(where: { $0.role == .counters }) {
            driver = driver.replacingOccurrences(
                of: "else if (memcmp(first.data(), output", with: "else if (false && memcmp(first.data(), output")
        }
        let source = ImmaHostEmulation.prelude + halfPrelude + String(kernel.text[marker.lowerBound...]) + "\n" + driver
        let sourceURL = dir.appendingPathComponent("kernel.cpp")
        try source.write(to: sourceURL, atomically: true, encoding: .utf8)
        let binary = dir.appendingPathComponent("emulate").path
        let (status, log) = try ImmaEmulationHarness.shell(compiler, ["-std=c++17", "-O1", "-ffp-contract=off", "-fno-strict-aliasing", "-w", "-o", binary, sourceURL.path])
        guard status == 0 else { throw ImmaEmulationHarness.Failure.tool("clang++ failed:\n\(log.prefix(4000))") }
        let (runStatus, runLog) = try ImmaEmulationHarness.shell(binary, [dir.path, "1"])
        guard runStatus == 0 else { throw ImmaEmulationHarness.Failure.tool("emulation failed (status \(runStatus)):\n\(runLog.prefix(4000))") }
        let data = try Data(contentsOf: dir.appendingPathComponent("output.bin"))

        var outcome = Outcome(mismatches: 0, first: nil, maxError: 0)
        let reduction = Double(p.reductionLength)
        data.withUnsafeBytes { raw in
            for n in 0..<p.batch { for oz in 0..<p.output.depth { for oy in 0..<p.output.height { for ox in 0..<p.output.width {
                let pixel = ((n * p.output.depth + oz) * p.output.height + oy) * p.output.width + ox
                for k in 0..<kp {
                    var sum = 0.0, magnitude = 0.0
                    if k < p.outputChannels {
                        for c in 0..<p.inputChannels { for tz in 0..<p.kernel.depth { for ty in 0..<p.kernel.height { for tx in 0..<p.kernel.width {
                            let z = oz * p.stride.depth - p.padding.front + tz * p.dilation.depth
                            let y = oy * p.stride.height - p.padding.top + ty * p.dilation.height
                            let x = ox * p.stride.width - p.padding.left + tx * p.dilation.width
                            guard z >= 0, z < p.input.depth, y >= 0, y < p.input.height, x >= 0, x < p.input.width else { continue }
                            let xi = input[(((n * p.inputChannels + c) * p.input.depth + z) * p.input.height + y) * p.input.width + x]
                            let wi = weight[(((k * p.inputChannels + c) * p.kernel.depth + tz) * p.kernel.height + ty) * p.kernel.width + tx]
                            sum += Double(xi) * Double(wi)
                            magnitude += abs(Double(xi) * Double(wi))
                        } } } }
                        sum += Double(bias[k])
                        if output.relu { sum = max(sum, 0) }
                    }
                    let index = pixel * kp + k
                    let got: Double
                    var tolerance = 8 * reduction.squareRoot() * 0x1p-24 * magnitude + 0x1p-23 * (k < bias.count ? abs(Double(bias[k])) : 0)
                    switch output {
                    case .float32: got = Double(raw.load(fromByteOffset: index * 4, as: Float.self))
                    case .float16:
                        got = Double(Float(Float16(bitPattern: raw.load(fromByteOffset: index * 2, as: UInt16.self))))
                        tolerance += 0x1p-11 * abs(sum)
                    }
                    let error = abs(got - sum)
                    outcome.maxError = max(outcome.maxError, error.isNaN ? .infinity : error)
                    if !(error <= tolerance) {
                        outcome.mismatches += 1
                        if outcome.first == nil { outcome.first = "pixel \(pixel) channel \(k): got \(got), expected \(sum) ± \(tolerance)" }
                    }
                }
            } } } }
        }
        return outcome
    }
}
