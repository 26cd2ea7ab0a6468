import CPUKernels
import ConvGeometry
import Foundation
@testable import Kernels
import Tensors

/// Random data for one workload, its packed forms and its exact CPU results: what an emulated (or a
/// GPU) run of an imma kernel is compared against.
struct ImmaTestProblem {
    let workload: Conv3DParameters
    let seed: UInt64
    /// Logical NCDHW input and OIDHW weights.
    let input: [Int8]
    let weight: [Int8]
    let scale: [Float]
    let bias: [Float]
    /// Logical NCDHW residual, shaped like the output.
    let residual: [Int8]
    let residualScale: Float
    /// Logical NCDHW int32 result.
    let accumulators: [Int32]

    init(_ workload: Conv3DParameters, seed: UInt64) throws {
        self.workload = workload
        self.seed = seed
        var rng = SeededGenerator(seed: seed)
        func int8s(_ count: Int) -> [Int8] {
            (0..<count).map { _ in
                var v: Int8 = 0
                while v == 0 { v = Int8.random(in: -127...127, using: &rng) }
                return v
            }
        }
        let p = workload
        input = int8s(p.inputShape.reduce(1, *))
        weight = int8s(p.weightShape.reduce(1, *))
        // Scales that map typical sums to a few tens, so that the outputs cover the int8 range and saturate.
        let typical = Float(127 * 127) * Float(p.reductionLength).squareRoot() / 3
        scale = (0..<p.outputChannels).map { _ in Float.random(in: 0.2...3, using: &rng) * 40 / typical }
        bias = (0..<p.outputChannels).map { _ in Float.random(in: -20...20, using: &rng) }
        residual = int8s(p.outputShape.reduce(1, *))
        residualScale = Float.random(in: 0.1...0.9, using: &rng)
        accumulators = try Self.reference(p, input, weight)
    }

    /// The exact int32 convolution of the CPU reference (``ReferenceConv3D``), NCDHW, groups included.
    static func reference(_ p: Conv3DParameters, _ x: [Int8], _ w: [Int8]) throws -> [Int32] {
        let input = try Tensor<Int8>(shape: p.inputShape, layout: .ncdhw, elements: x)
        let weight = try Tensor<Int8>(shape: p.weightShape, layout: .oidhw, elements: w)
        return try ReferenceConv3D.conv3d(input, weight, parameters: p).elements
    }

    /// The expected output in logical NCDHW order: the int32 sums, or the epilogue applied to them.
    func expected(_ output: OutputKind) -> [Int32] {
        guard case let .int8(relu, hasResidual) = output else { return accumulators }
        let epilogue = Epilogue(scale: scale, bias: bias, relu: relu, residualScale: hasResidual ? residualScale : nil)
        let perChannel = workload.output.volume
        return accumulators.indices.map { i in
            let channel = (i / perChannel) % workload.outputChannels
            return Int32(epilogue.apply(accumulators[i], channel: channel, residual: residual[i]))
        }
    }

    /// NCDHW `[N, C, D, H, W]` to NDHWC with channel pitch `pitch`, padding zero.
    static func packNDHWC(_ x: [Int8], batch: Int, channels: Int, volume: Int, pitch: Int) -> [Int8] {
        var out = [Int8](repeating: 0, count: batch * volume * pitch)
        for n in 0..<batch { for ch in 0..<channels { for s in 0..<volume {
            out[(n * volume + s) * pitch + ch] = x[(n * channels + ch) * volume + s]
        } } }
        return out
    }

    /// OIDHW `[K, C, kd, kh, kw]` to ODHWI `[kPitch, kd, kh, kw, cPitch]`, padding zero.
    static func packODHWI(_ w: [Int8], k: Int, c: Int, taps: Int, kPitch: Int, cPitch: Int) -> [Int8] {
        var out = [Int8](repeating: 0, count: kPitch * taps * cPitch)
        for f in 0..<k { for ch in 0..<c { for t in 0..<taps {
            out[(f * taps + t) * cPitch + ch] = w[(f * c + ch) * taps + t]
        } } }
        return out
    }
}

/// Compiles a rendered imma kernel against ``ImmaHostEmulation`` with clang++, runs it twice on a
/// problem (the second launch checks that split-K counters were left at zero and gives the same bytes),
/// and returns the mismatches against the CPU results.
enum ImmaEmulationHarness {
    struct Outcome {
        var mismatches: Int
        var firstMismatch: String?
        var compileSeconds: Double
        var runSeconds: Double
    }

    enum Failure: Error, CustomStringConvertible {
        case tool(String)
        var description: String {
            switch self { case .tool(let message): return message }
        }
    }

    static var compiler: String? {
        ["/usr/bin/clang++", "/opt/swift/usr/bin/clang++", "/usr/bin/g++"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ kernel: KernelSource, output: OutputKind, problem: ImmaTestProblem, scheduleSeed: Int = 1) throws -> Outcome {
        guard let compiler else { throw Failure.tool("no C++ compiler") }
        let p = problem.workload
        // A kernel that packs groups reads the weights regrouped, block-diagonally, into its own groups.
        let weightGroups = kernel.parameters.first { $0.role == .weight }?.weightGroups ?? p.groups
        let geometry = try ImmaConv3DGeometry(p, groupPack: p.groups / weightGroups)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("q3d-imma-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let packedInput = ImmaTestProblem.packNDHWC(
            problem.input, batch: p.batch, channels: p.inputChannels, volume: p.input.volume, pitch: geometry.inputPitch)
        // [Kp, kd, kh, kw, Cp], or [K, kd, kh, kw, C/G] when grouped.
        let packedWeight = ImmaTestProblem.packODHWI(
            try ConvWeights.regrouped(problem.weight, parameters: p, into: weightGroups), k: p.outputChannels,
            c: p.inputChannels / weightGroups, taps: geometry.taps, kPitch: geometry.weightRows, cPitch: geometry.reductionChannels)
        let packedResidual = ImmaTestProblem.packNDHWC(
            problem.residual, batch: p.batch, channels: p.outputChannels, volume: p.output.volume, pitch: geometry.outputPitch)
        let padded = { (v: [Float]) in v + [Float](repeating: 0, count: geometry.outputPitch - v.count) }
        try write(packedInput, to: dir.appendingPathComponent("input.bin"))
        try write(packedWeight, to: dir.appendingPathComponent("weight.bin"))
        try write(padded(problem.scale), to: dir.appendingPathComponent("scale.bin"))
        try write(padded(problem.bias), to: dir.appendingPathComponent("bias.bin"))
        try write(packedResidual, to: dir.appendingPathComponent("residual.bin"))

        guard let marker = kernel.text.range(of: ImmaKernelText.kernelMarker) else {
            throw Failure.tool("kernel text has no marker")
        }
        let source = ImmaHostEmulation.prelude + String(kernel.text[marker.lowerBound...]) + "\n"
            + driver(kernel, residualScale: problem.residualScale)
        let sourceURL = dir.appendingPathComponent("kernel.cpp")
        try source.write(to: sourceURL, atomically: true, encoding: .utf8)
        let binary = dir.appendingPathComponent("emulate").path
        let compileStart = Date()
        let (compileStatus, compileLog) = try shell(compiler, ["-std=c++17", ProcessInfo.processInfo.environment["Q3D_IMMA_EMULATE_OPT"] ?? "-O1", "-ffp-contract=off", "-w", "-o", binary, sourceURL.path])
        let compileSeconds = Date().timeIntervalSince(compileStart)
        guard compileStatus == 0 else { throw Failure.tool("clang++ failed:\n\(compileLog.prefix(4000))") }
        let runStart = Date()
        let (runStatus, runLog) = try shell(binary, [dir.path, String(scheduleSeed)])
        let runSeconds = Date().timeIntervalSince(runStart)
        guard runStatus == 0 else { throw Failure.tool("emulation failed (status \(runStatus)):\n\(runLog.prefix(4000))") }

        let data = try Data(contentsOf: dir.appendingPathComponent("output.bin"))
        let expected = problem.expected(output)
        var mismatches = 0
        var first: String?
        let (k, pitch, volume) = (p.outputChannels, geometry.outputPitch, p.output.volume)
        data.withUnsafeBytes { raw in
            func value(_ index: Int) -> Int32 {
                switch output {
                case .int32: return raw.load(fromByteOffset: index * 4, as: Int32.self)
                case .int8: return Int32(raw.load(fromByteOffset: index, as: Int8.self))
                }
            }
            for n in 0..<p.batch {
                for s in 0..<volume {
                    for ch in 0..<pitch {
                        let got = value((n * volume + s) * pitch + ch)
                        let want = ch < k ? expected[(n * k + ch) * volume + s] : 0
                        if got != want {
                            mismatches += 1
                            if first == nil { first = "n \(n) pixel \(s) channel \(ch): got \(got), expected \(want)" }
                        }
                    }
                }
            }
        }
        return Outcome(mismatches: mismatches, firstMismatch: first, compileSeconds: compileSeconds, runSeconds: runSeconds)
    }

    /// `main`: loads the buffers, launches the grid twice with the blocks in a random order (a stream-K
    /// kernel's in descending order: a block may wait only for later ones), checks the counters, writes
    /// the output.
    static func driver(_ kernel: KernelSource, residualScale: Float) -> String {
        var lines = ["int main(int argc, char** argv) {", "  if (argc < 3) return 2;", "  const char* dir = argv[1];",
                     "  q3d_emu::rng.seed((unsigned)atoi(argv[2]));", "  char path[4096];"]
        var arguments: [String] = []
        var outputBytes = 0
        var counters: (name: String, count: Int)?
        for parameter in kernel.parameters {
            switch parameter.kind {
            case let .buffer(element, count, _, _):
                let bytes = count * element.byteSize
                let type = element == .int8 ? "int8_t" : (element == .int32 ? "int32_t" : "float")
                let name = parameter.name
                lines.append("  \(type)* \(name) = (\(type)*)q3d_guarded(\(bytes), \"\(name)\");")
                switch parameter.role {
                case .input, .weight, .scale, .bias, .residual:
                    lines.append("  snprintf(path, sizeof path, \"%s/\(name).bin\", dir); q3d_read(path, \(name), \(bytes));")
                case .output:
                    outputBytes = bytes
                case .workspace:
                    lines.append("  memset(\(name), 0x77, \(bytes));")
                case .counters:
                    lines.append("  memset(\(name), 0, \(bytes));")
                    counters = (name, count)
                case .residualScale:
                    break
                }
                arguments.append(name)
            case .float32:
                lines.append("  const uint32_t \(parameter.name)_bits = \(residualScale.bitPattern)u; float \(parameter.name); memcpy(&\(parameter.name), &\(parameter.name)_bits, 4);")
                arguments.append(parameter.name)
            case .int32:
                arguments.append("0")
            }
        }
        lines += [
            "  std::vector<uint8_t> first(\(outputBytes));",
            "  for (int launch = 0; launch < 2; ++launch) {",
            "    memset(output, launch == 0 ? 0x5A : 0xC3, \(outputBytes));",
            "    std::vector<q3d_emu::Index> order;",
            "    for (unsigned y = 0; y < \(kernel.grid.y); ++y) for (unsigned x = 0; x < \(kernel.grid.x); ++x) order.push_back({x, y, 0});",
            kernel.text.contains("q3d_wait_flag(") ? "    std::reverse(order.begin(), order.end());" : "    std::shuffle(order.begin(), order.end(), q3d_emu::rng);",
            "    for (const q3d_emu::Index& index : order)",
            "      q3d_emu::run_block(index, \(kernel.block.x), \(kernel.dynamicSharedBytes), [&] { \(kernel.name)(\(arguments.joined(separator: ", "))); });",
        ]
        if let counters {
            lines.append("    for (int i = 0; i < \(counters.count); ++i) if (\(counters.name)[i] != 0) q3d_emu::fail(\"counter %d left at %d\", i, \(counters.name)[i]);")
        }
        lines += [
            "    if (launch == 0) memcpy(first.data(), output, \(outputBytes));",
            "    else if (memcmp(first.data(), output, \(outputBytes)) != 0) q3d_emu::fail(\"the second launch wrote different bytes\");",
            "  }",
            "  snprintf(path, sizeof path, \"%s/output.bin\", dir);",
            "  q3d_write(path, output, \(outputBytes));",
            "  return 0;",
            "}",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    static func write<T>(_ values: [T], to url: URL) throws {
        try values.withUnsafeBytes { try Data($0).write(to: url) }
    }

    static func shell(_ tool: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
