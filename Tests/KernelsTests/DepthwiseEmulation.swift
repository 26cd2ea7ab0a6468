import CPUKernels
import ConvGeometry
import Foundation
@testable import Kernels
import Tensors

/// Runs a rendered depthwise kernel on the CPU: the kernel uses no shared memory or barriers, so its
/// text compiles as C++ once a few CUDA names (and `__byte_perm`, `__funnelshift_r`, `__dp4a`, written
/// here from the PTX manual's definitions) are defined, and its grid runs thread by thread.
enum DepthwiseEmulation {
    /// Random non-zero data for one workload and the CPU's exact int32 results.
    struct Problem {
        let workload: Conv3DParameters
        let seed: UInt64
        let input: Tensor<Int8>
        let weight: Tensor<Int8>
        let residual: Tensor<Int8>
        let scale: [Float]
        let bias: [Float]
        let residualScale: Float
        let accumulators: Tensor<Int32>

        init(_ workload: Conv3DParameters, seed: UInt64) throws {
            self.workload = workload
            self.seed = seed
            var rng = SeededGenerator(seed: seed)
            input = try Tensor<Int8>.randomNonZero(shape: workload.inputShape, layout: .ncdhw, using: &rng)
            weight = try Tensor<Int8>.randomNonZero(shape: workload.weightShape, layout: .oidhw, using: &rng)
            residual = try Tensor<Int8>.randomNonZero(shape: workload.outputShape, layout: .ncdhw, using: &rng)
            // Scales that take typical sums to a few tens: the outputs cover the int8 range and saturate.
            let typical = Float(127 * 127) * Float(workload.reductionLength).squareRoot() / 3
            scale = (0..<workload.outputChannels).map { _ in Float.random(in: 0.2...3, using: &rng) * 40 / typical }
            bias = (0..<workload.outputChannels).map { _ in Float.random(in: -20...20, using: &rng) }
            residualScale = Float.random(in: 0.1...0.9, using: &rng)
            accumulators = try FastConv3D.conv3d(input, weight, parameters: workload)
        }

        /// The expected output, NCDHW, int8 values widened.
        func expected(_ output: OutputKind) -> [Int32] {
            guard case let .int8(relu, hasResidual) = output else { return accumulators.elements }
            let epilogue = Epilogue(scale: scale, bias: bias, relu: relu, residualScale: hasResidual ? residualScale : nil)
            let perChannel = workload.output.volume
            return accumulators.elements.indices.map { i in
                let channel = (i / perChannel) % workload.outputChannels
                return Int32(epilogue.apply(accumulators.elements[i], channel: channel, residual: residual.elements[i]))
            }
        }
    }

    struct Outcome {
        var mismatches: Int
        var first: String?
    }

    static let prelude = """
        #include <cmath>
        #include <cstdio>
        #include <cstdlib>
        #include <cstring>
        #include <vector>
        #define __global__
        #define __device__
        #define __forceinline__ inline
        #define __launch_bounds__(threads, blocks)
        #define __restrict__
        struct q3d_dim { unsigned x, y, z; };
        static q3d_dim blockIdx, threadIdx;
        static inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
        static inline float __int2float_rn(int v) { return (float)v; }
        // The default rounding mode rounds half to even, as the GPU's cvt.rni does.
        static inline int __float2int_rn(float v) { return (int)std::nearbyint(v); }
        // Byte s_i of the eight bytes {y, x} (x the low four), for each selector nibble s_i.
        static inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
            const unsigned long long bytes = ((unsigned long long)y << 32) | x;
            unsigned r = 0;
            for (int i = 0; i < 4; ++i) r |= (unsigned)((bytes >> (8 * ((s >> (4 * i)) & 7))) & 0xff) << (8 * i);
            return r;
        }
        // The low word of {hi, lo} shifted right by shift & 31.
        static inline unsigned __funnelshift_r(unsigned lo, unsigned hi, unsigned shift) {
            return (unsigned)((((unsigned long long)hi << 32) | lo) >> (shift & 31));
        }
        static inline int __dp4a(int a, int b, int c) {
            for (int i = 0; i < 4; ++i) c += (int)(signed char)(a >> (8 * i)) * (int)(signed char)(b >> (8 * i));
            return c;
        }

        """

    static func run(_ kernel: KernelSource, output: OutputKind, problem: Problem, compiler: String) throws -> Outcome {
        let p = problem.workload
        let pitch = (p.inputChannels + 3) / 4 * 4
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q3d-dw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func write<T>(_ values: [T], _ name: String) throws {
            try values.withUnsafeBytes { try Data($0).write(to: dir.appendingPathComponent(name + ".bin")) }
        }
        let padding = [Float](repeating: 0, count: pitch - p.outputChannels)
        try write(try problem.input.packedNDHWC(channelMultiple: pitch).elements, "input")
        try write(try problem.weight.packedDHWO(channelMultiple: pitch).elements, "weight")
        try write(try problem.residual.packedNDHWC(channelMultiple: pitch).elements, "residual")
        try write(problem.scale + padding, "scale")
        try write(problem.bias + padding, "bias")

        var lines = ["int main(int argc, char** argv) {", "  const char* dir = argv[1];", "  char path[4096];"]
        var arguments: [String] = []
        var outputBytes = 0
        for parameter in kernel.parameters {
            switch parameter.kind {
            case let .buffer(element, count, _, _):
                let bytes = count * element.byteSize
                let type = element == .int8 ? "int8_t" : (element == .int32 ? "int32_t" : "float")
                lines.append("  \(type)* \(parameter.name) = (\(type)*)malloc(\(bytes));")
                if parameter.role == .output {
                    outputBytes = bytes
                    lines.append("  memset(\(parameter.name), 0x5A, \(bytes));")
                } else {
                    lines.append("  snprintf(path, sizeof path, \"%s/\(parameter.name).bin\", dir);")
                    lines.append("  { FILE* f = fopen(path, \"rb\"); if (!f || fread(\(parameter.name), 1, \(bytes), f) != \(bytes)) return 3; fclose(f); }")
                }
            case .float32:
                lines.append("  const uint32_t bits = \(problem.residualScale.bitPattern)u; float \(parameter.name); memcpy(&\(parameter.name), &bits, 4);")
            case .int32:
                lines.append("  int \(parameter.name) = 0;")
            }
            arguments.append(parameter.name)
        }
        lines += [
            "  for (unsigned b = 0; b < \(kernel.grid.x); ++b)",
            "    for (unsigned t = 0; t < \(kernel.block.x); ++t) {",
            "      blockIdx.x = b; threadIdx.x = t;",
            "      \(kernel.name)(\(arguments.joined(separator: ", ")));",
            "    }",
            "  snprintf(path, sizeof path, \"%s/output.bin\", dir);",
            "  { FILE* f = fopen(path, \"wb\"); fwrite(output, 1, \(outputBytes), f); fclose(f); }",
            "  return 0;",
            "}",
        ]
        let source = dir.appendingPathComponent("kernel.cpp")
        try (prelude + kernel.text + "\n" + lines.joined(separator: "\n") + "\n").write(to: source, atomically: true, encoding: .utf8)
        let binary = dir.appendingPathComponent("emulate").path
        let (status, log) = try ImmaEmulationHarness.shell(compiler, ["-std=c++17", "-O1", "-ffp-contract=off", "-w", "-o", binary, source.path])
        guard status == 0 else { throw ImmaEmulationHarness.Failure.tool("C++ compile failed:\n\(log.prefix(4000))") }
        let (runStatus, runLog) = try ImmaEmulationHarness.shell(binary, [dir.path])
        guard runStatus == 0 else { throw ImmaEmulationHarness.Failure.tool("emulation failed (\(runStatus)): \(runLog.prefix(2000))") }

        let data = try Data(contentsOf: dir.appendingPathComponent("output.bin"))
        let expected = problem.expected(output)
        let (k, volume) = (p.outputChannels, p.output.volume)
        var outcome = Outcome(mismatches: 0)
        data.withUnsafeBytes { raw in
            for n in 0..<p.batch {
                for s in 0..<volume {
                    for ch in 0..<pitch {
                        let index = (n * volume + s) * pitch + ch
                        let got: Int32
                        if case .int32 = output {
                            got = raw.load(fromByteOffset: index * 4, as: Int32.self)
                        } else {
                            got = Int32(raw.load(fromByteOffset: index, as: Int8.self))
                        }
                        let want = ch < k ? expected[(n * k + ch) * volume + s] : 0
                        if got != want {
                            outcome.mismatches += 1
                            if outcome.first == nil { outcome.first = "n \(n) pixel \(s) channel \(ch): got \(got), expected \(want)" }
                        }
                    }
                }
            }
        }
        return outcome
    }
}
