import CUDARuntime
import ConvGeometry
import FoundationEssentials
import Kernels
import Tensors

/// `q3d conv3d --impl dp4a`: the dp4a template on device 0 over the request's random data.
///
/// The configuration is the one given as JSON, else the one at `configIndex` of a uniform sample of
/// the valid space (index i draws rank `Int.random(in: 0..<validCount)` from a generator seeded with
/// i, so each index names one configuration for good), else ``Dp4aConv3DTemplate/defaultConfig(for:on:)``.
public struct CUDAConv3DRunner: Conv3DRunner {
    public let request: Conv3DRequest
    public let executor: Dp4aConv3DExecutor
    private let problem: Conv3DProblem
    private let configSource: String

    public init(request: Conv3DRequest, impl: String, config: String?, configIndex: Int?) throws {
        guard impl == "dp4a" else { throw EngineError.unknownImplementation(impl, known: ["dp4a"]) }
        guard request.dtype == .int8 else {
            throw EngineError.unsupported(impl: impl, reason: "it computes int8 only (asked: \(request.dtype.rawValue))")
        }
        let p = request.parameters
        let context = try CUDAContext(ordinal: 0)
        let arch = context.device.gpuArchitecture
        let chosen: Dp4aConv3DConfig
        if let config {
            chosen = try JSONDecoder().decode(Dp4aConv3DConfig.self, from: Data(config.utf8))
            configSource = "given"
        } else if let configIndex {
            guard configIndex >= 0 else {
                throw EngineError.unsupported(impl: impl, reason: "--config-index \(configIndex) is negative")
            }
            let space = try Dp4aConv3DTemplate.space(for: p, on: arch)
            var generator = SeededGenerator(seed: UInt64(configIndex))
            let count = space.validCount()
            guard count > 0, let point = space.validPoint(atRank: Int.random(in: 0..<count, using: &generator)) else {
                throw EngineError.unsupported(impl: impl, reason: "the space of \(p) on \(arch) is empty")
            }
            chosen = try space.config(at: point, as: Dp4aConv3DConfig.self)
            configSource = "index \(configIndex)"
        } else {
            chosen = try Dp4aConv3DTemplate.defaultConfig(for: p, on: arch)
            configSource = "default"
        }
        problem = try Conv3DProblem(request)
        var output = OutputKind.int32
        if case .int8(_, _, let epilogue?) = problem.operands {
            output = .int8(relu: epilogue.relu, residual: epilogue.residualScale != nil)
        }
        executor = try Dp4aConv3DExecutor(context: context, parameters: p, config: chosen, output: output)
        self.request = request
    }

    public mutating func run(verify: Bool, bench: Bool, repeats: Int) throws -> Conv3DRunResult {
        guard case let .int8(input, weight, epilogue) = problem.operands else {
            throw EngineError.unsupported(impl: "dp4a", reason: "it computes int8 only")
        }
        let compiled = executor.compiled
        var result = Conv3DRunResult(
            outputShape: request.parameters.outputShape,
            detail: "\(executor.kernel.name): \(compiled.registers.map { "\($0) registers" } ?? "registers unknown"), "
                + "\(compiled.spillBytes ?? 0) spill bytes, \(executor.kernel.staticSharedBytes) shared bytes, "
                + "grid \(executor.kernel.grid), block \(executor.kernel.block)")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        result.config = String(decoding: try encoder.encode(executor.config), as: UTF8.self)
        result.configSource = configSource
        let buffers = try executor.upload(input: input, weight: weight, epilogue: epilogue)
        try executor.launch(buffers)
        try executor.context.synchronize()
        if bench {
            let timing = try executor.time(buffers, warmUp: 3, repeats: repeats)
            result.milliseconds = timing.median
            result.spread = timing.range
            result.repeats = repeats
        }
        if verify {
            let check = try executor.verify(input: input, weight: weight, epilogue: epilogue)
            result.maxAbsError = Double(check.maxAbsError)
            result.relativeError = check.passed ? 0 : nil
            result.unwritten = check.unwritten
            result.verified = check.passed
        }
        return result
    }
}
