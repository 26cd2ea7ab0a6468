/// A check that the whole CUDA path works on this machine: NVRTC compiles a small int8 kernel for the
/// device's architecture, the driver loads and runs it on random data, and the result is compared with
/// the same arithmetic on the CPU.
///
/// ```swift
/// let result = try CUDASelfTest.run()
/// print(result.passed ? "ok" : "\(result.mismatches) of \(result.count) wrong (seed \(result.seed))")
/// ```
public enum CUDASelfTest {
    /// The kernel: `out[i] = dp4a(a[i], b[i], bias[i])`, four int8 products added to an int32 — the
    /// instruction Q3D's first convolution kernels are built on.
    static let source = """
        extern "C" __global__ void q3d_self_test(const int* a, const int* b, const int* bias, int* out, int n) {
            int i = blockIdx.x * blockDim.x + threadIdx.x;
            if (i < n) out[i] = __dp4a(a[i], b[i], bias[i]);
        }
        """

    /// Runs the check on device `ordinal` over `count` elements of random data from `seed`.
    /// Throws when CUDA or NVRTC is missing or a call fails; a wrong result is not an error but a
    /// result with ``CUDASelfTestResult/passed`` false.
    public static func run(ordinal: Int = 0, count: Int = 1 << 20, seed: UInt64 = 0x51F7_E57) throws(CUDAError) -> CUDASelfTestResult {
        guard count > 0, count <= Int(Int32.max) else {
            throw .invalidArgument("self-test of \(count) elements; expected 1 to \(Int32.max)")
        }
        let device = try CUDADevice(ordinal: ordinal)
        let context = try CUDAContext(device: device)
        let kernel = try compile(for: device)
        let module = try CUDAModule(context: context, kernel: kernel)
        let function = try module.function(named: "q3d_self_test")

        var generator = SplitMix64(seed: seed)
        let a = (0..<count).map { _ in Int32(truncatingIfNeeded: generator.next()) }
        let b = (0..<count).map { _ in Int32(truncatingIfNeeded: generator.next()) }
        let bias = (0..<count).map { _ in Int32(truncatingIfNeeded: generator.next() % 2_000_001) - 1_000_000 }
        let expected = (0..<count).map { dotProduct(a[$0], b[$0], bias[$0]) }

        let aBuffer = try DeviceBuffer(context: context, copying: a)
        let bBuffer = try DeviceBuffer(context: context, copying: b)
        let biasBuffer = try DeviceBuffer(context: context, copying: bias)
        let output = try DeviceBuffer(context: context, byteCount: 4 * count)
        try output.memset32(0xDEAD_BEEF)  // an element the kernel skips cannot pass for a result

        let stream = try CUDAStream(context: context)
        let start = try CUDAEvent(context: context)
        let end = try CUDAEvent(context: context)
        try start.record(on: stream)
        try function.launch(
            grid: ((count + 255) / 256, 1, 1), block: (256, 1, 1), sharedBytes: 0, stream: stream,
            arguments: [.buffer(aBuffer), .buffer(bBuffer), .buffer(biasBuffer), .buffer(output), .int32(Int32(count))])
        try end.record(on: stream)
        try stream.synchronize()
        let milliseconds = try CUDAEvent.elapsedMilliseconds(from: start, to: end)
        let actual = try output.values(of: Int32.self)

        let mismatched = (0..<count).filter { actual[$0] != expected[$0] }
        return CUDASelfTestResult(
            device: device.description, arch: kernel.arch, driverVersion: try CUDADriver.version().description,
            nvrtcVersion: kernel.nvrtcVersion, registers: try function.attributes().registers, count: count,
            seed: seed, mismatches: mismatched.count,
            firstMismatch: mismatched.first.map { ($0, expected[$0], actual[$0]) }, kernelMilliseconds: milliseconds)
    }

    /// The device's architecture, or its plain variant when no NVRTC here knows the specific one.
    private static func compile(for device: CUDADevice) throws(CUDAError) -> CompiledKernel {
        let arch = NVRTC.libraries().contains { $0.supports(device.arch) } ? device.arch : device.baseArch
        return try NVRTC.compile(
            source: source, name: "q3d_self_test", arch: arch, options: ["-default-device", "--ptxas-options=-v"])
    }

    /// `__dp4a` on the CPU: the four signed byte products of `a` and `b`, added to `c`, wrapping.
    static func dotProduct(_ a: Int32, _ b: Int32, _ c: Int32) -> Int32 {
        (0..<4).reduce(c) { sum, byte in
            let x = Int32(Int8(truncatingIfNeeded: a >> (8 * byte)))
            let y = Int32(Int8(truncatingIfNeeded: b >> (8 * byte)))
            return sum &+ x * y
        }
    }
}

/// What ``CUDASelfTest/run(ordinal:count:seed:)`` found.
public struct CUDASelfTestResult: Sendable {
    /// The device's description: name, ordinal, architecture, SMs, memory.
    public let device: String
    public let arch: String
    public let driverVersion: String
    public let nvrtcVersion: String
    public let registers: Int
    public let count: Int
    /// The seed of the random inputs, to replay a failure.
    public let seed: UInt64
    public let mismatches: Int
    public let firstMismatch: (index: Int, expected: Int32, actual: Int32)?
    /// The kernel's time between two events.
    public let kernelMilliseconds: Float

    public var passed: Bool { mismatches == 0 }
}

/// SplitMix64: a few lines of deterministic randomness, so that a failing self-test can be replayed.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
