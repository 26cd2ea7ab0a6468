import CUDARuntime
import Kernels
import Tensors

/// Measures the int8 `wgmma` throughput of GPU 0 with ``WgmmaPeakKernel``: one launch checked against
/// the CPU (every block's tile, output poisoned first), then `launches` timed launches between device
/// events; the SM clock the card held comes from the kernel's own `clock64()` and `%globaltimer`.
///
/// ```swift
/// let peak = try WgmmaPeak(context: context)
/// let result = try peak.measure(WgmmaPeakKernel(n: 256, warpgroups: 2), blocksPerSM: 1, iterations: 20_000)
/// print(result.tops, result.clockMHz)
/// ```
public final class WgmmaPeak {
    let context: CUDAContext
    let device: CUDADevice
    let cache: ModuleCache

    public init(context: CUDAContext, cache: ModuleCache = ModuleCache()) throws {
        self.context = context
        device = context.device
        self.cache = cache
    }

    public struct Result: Sendable, Codable {
        public let kernel: String
        public let n, warpgroups, kSteps, copyRows, blocks, iterations: Int
        /// `random`: uniform int8 operands; `zeros`: all-zero operands (the least switching power).
        public let data: String
        public let registers: Int
        public let medianMilliseconds, fastestMilliseconds, slowestMilliseconds: Double
        public let tops: Double
        /// The SM clock during the checked launch: clock64 ticks over %globaltimer nanoseconds, median over blocks.
        public let clockMHz: Double
        /// Multiply-adds per SM per clock: the rate the tensor cores kept at the clock they ran at.
        public let macsPerSMClock: Double
        public let mismatches: Int
        public let unwritten: Int
    }

    /// - Parameters:
    ///   - blocksPerSM: blocks per SM the grid has (the kernel asks for one; more must fit in shared memory).
    ///   - iterations: rounds of `kSteps` wgmma per warpgroup in one launch.
    ///   - zeros: all-zero operands instead of random ones.
    public func measure(
        _ kernel: WgmmaPeakKernel, blocksPerSM: Int, iterations: Int, launches: Int = 20, zeros: Bool = false, seed: UInt64 = 0x9EA4
    ) throws -> Result {
        guard blocksPerSM >= 1, iterations >= 1, launches >= 1 else {
            throw EngineError.invalidInput(
                "wgmma peak: \(blocksPerSM) blocks per SM, \(iterations) iterations, \(launches) launches; expected 1 or more each")
        }
        guard device.arch == "sm_90a" else {
            throw EngineError.unsupported(impl: WgmmaPeakKernel.name, reason: "wgmma needs sm_90a; GPU 0 is \(device.arch)")
        }
        let compiled = try cache.kernel(
            source: kernel.source, name: WgmmaPeakKernel.name, arch: device.arch, options: LoadedConvKernel.compileOptions)
        let module = try CUDAModule(context: context, kernel: compiled)
        let function = try module.function(named: WgmmaPeakKernel.name)
        if kernel.sharedBytes > 48 * 1024 { try function.setMaxDynamicSharedMemory(kernel.sharedBytes) }
        let blocks = device.multiprocessors * blocksPerSM

        // Non-zero random operands (a zero would hide a skipped product), or all zeros.
        var generator = SeededGenerator(seed: seed)
        func operand(_ count: Int) -> [Int8] {
            (0..<count).map { _ in zeros ? 0 : (Int8.random(in: 1...127, using: &generator) * (Bool.random(using: &generator) ? 1 : -1)) }
        }
        let a = operand(kernel.aBytes), b = operand(kernel.bBytes)
        let copySource = [UInt8](repeating: 1, count: max(16, kernel.copyBytes))
        let aBuffer = try DeviceBuffer(context: context, copying: a)
        let bBuffer = try DeviceBuffer(context: context, copying: b)
        let copyBuffer = try DeviceBuffer(context: context, copying: copySource)
        let out = try DeviceBuffer(context: context, byteCount: 4 * blocks * kernel.outputsPerBlock)
        let clocks = try DeviceBuffer(context: context, byteCount: 8 * 4 * blocks)
        let poison: UInt32 = 0x7FC0_FFEE
        try out.memset32(poison)
        let stream = try CUDAStream(context: context)
        let arguments: [KernelArgument] = [
            .buffer(aBuffer), .buffer(bBuffer), .buffer(copyBuffer), .buffer(out), .buffer(clocks), .int32(Int32(iterations)),
        ]
        func launch() throws {
            try function.launch(
                grid: (blocks, 1, 1), block: (kernel.threads, 1, 1), sharedBytes: kernel.sharedBytes, stream: stream,
                arguments: arguments)
        }

        // Checked launch: every block's tiles against the CPU, and the clock it ran at.
        try launch()
        try stream.synchronize()
        let expected = kernel.expected(a: a, b: b, iterations: iterations)
        let actual = try out.values(of: Int32.self)
        var mismatches = 0, unwritten = 0
        for block in 0..<blocks {
            for i in 0..<kernel.outputsPerBlock {
                let value = actual[block * kernel.outputsPerBlock + i]
                if UInt32(bitPattern: value) == poison && expected[i] != value { unwritten += 1 }
                else if value != expected[i] { mismatches += 1 }
            }
        }
        let stamps = try clocks.values(of: Int64.self)
        let rates = (0..<blocks).compactMap { block -> Double? in
            let ticks = stamps[4 * block + 1] - stamps[4 * block]
            let nanoseconds = stamps[4 * block + 3] - stamps[4 * block + 2]
            return nanoseconds > 0 ? Double(ticks) / Double(nanoseconds) * 1000 : nil
        }.sorted()
        let clockMHz = rates.isEmpty ? 0 : rates[rates.count / 2]

        // Timed launches after two of warm-up.
        try launch()
        try launch()
        var times: [Double] = []
        let start = try CUDAEvent(context: context), end = try CUDAEvent(context: context)
        for _ in 0..<launches {
            try start.record(on: stream)
            try launch()
            try end.record(on: stream)
            try end.synchronize()
            times.append(Double(try CUDAEvent.elapsedMilliseconds(from: start, to: end)))
        }
        times.sort()
        let median = times[times.count / 2]
        let macs = Double(kernel.macsPerRound) * Double(iterations) * Double(blocks)
        let tops = 2 * macs / (median * 1e-3) / 1e12
        let macsPerSMClock = clockMHz > 0 ? macs / Double(device.multiprocessors) / (median * 1e-3 * clockMHz * 1e6) : 0
        return Result(
            kernel: kernel.description, n: kernel.n, warpgroups: kernel.warpgroups, kSteps: kernel.kSteps,
            copyRows: kernel.copyRows, blocks: blocks, iterations: iterations, data: zeros ? "zeros" : "random",
            registers: try function.attributes().registers, medianMilliseconds: median, fastestMilliseconds: times[0],
            slowestMilliseconds: times[times.count - 1], tops: tops, clockMHz: clockMHz, macsPerSMClock: macsPerSMClock,
            mismatches: mismatches, unwritten: unwritten)
    }
}
