import CPUKernels
import CUDARuntime
import ConvGeometry
import Kernels
import Tensors

/// Verification and timing of loaded kernels against one problem on the device.
///
/// Verification runs a kernel twice, the output poisoned first with 0x5A bytes and then with 0xA5
/// bytes, and compares both results exactly with the CPU: an element the kernel never writes keeps
/// the poison, which cannot equal the reference in both runs. The CPU side is the fast int8 path,
/// which the test suite checks bit for bit against the reference on every shape class.
public final class KernelCheck {
    public let operands: DeviceOperands
    public let int8Output: Bool
    private var referenceValues: [Int32]?
    /// The reference in the layout of the buffer a kernel writes, per output layout and element count,
    /// with which of the buffer's elements hold an output (the rest is channel padding).
    private var physicalReference: [String: (expected: [Int32], checked: [Bool])] = [:]
    /// Float problems (fp16 kernels): the expected values and their tolerances, computed once.
    var halfReference: HalfReference?

    public init(operands: DeviceOperands, int8Output: Bool) {
        self.operands = operands
        self.int8Output = int8Output
    }

    /// Outcome of one verification.
    public struct Result: Sendable {
        public var mismatches: Int
        public var unwritten: Int
        public var errors: ErrorStatistics
        public var passed: Bool { mismatches == 0 && unwritten == 0 }
    }

    /// The exact expected output (NCDHW, int8 widened), computed once.
    public func reference() throws -> [Int32] {
        if let referenceValues { return referenceValues }
        guard case let .int8(input, weight, epilogue) = operands.problem.operands else { return [] }
        let p = operands.problem.parameters
        let values: [Int32]
        if int8Output, let epilogue {
            values = try FastConv3D.conv3d(
                input, weight, parameters: p, epilogue: epilogue, residual: operands.problem.residual
            ).elements.map(Int32.init)
        } else {
            values = try FastConv3D.conv3d(input, weight, parameters: p).elements
        }
        referenceValues = values
        return values
    }

    public func verify(_ kernel: LoadedConvKernel) throws -> Result {
        if case .float32 = operands.problem.operands { return try verifyHalf(kernel) }
        // The common case, an exact answer, is checked in the kernel's own layout in one pass (a trial
        // of a large layer checks 25 M elements); anything else is counted and measured below.
        if try exactInPlace(kernel) {
            return Result(mismatches: 0, unwritten: 0, errors: ErrorStatistics([Int32](), reference: [Int32]()))
        }
        let expected = try reference()
        let arguments = try operands.arguments(for: kernel.source)
        var outputs: [[Int32]] = []
        for poison: UInt8 in [0x5A, 0xA5] {
            try operands.poisonOutput(of: kernel.source, with: poison)
            try kernel.launch(arguments)
            try operands.context.synchronize()
            outputs.append(try operands.output(of: kernel.source))
        }
        let poisonValues: [Int32] = int8Output ? [0x5A, -0x5B] : [0x5A5A_5A5A, Int32(bitPattern: 0xA5A5_A5A5)]
        var mismatches = 0, unwritten = 0
        for i in 0..<expected.count {
            if outputs[0][i] != expected[i] || outputs[1][i] != expected[i] { mismatches += 1 }
            if outputs[0][i] == poisonValues[0] && outputs[1][i] == poisonValues[1] { unwritten += 1 }
        }
        var errors = ErrorStatistics(outputs[0], reference: expected)
        let second = ErrorStatistics(outputs[1], reference: expected)
        errors.maxAbs = max(errors.maxAbs, second.maxAbs)
        errors.relative = max(errors.relative, second.relative)
        return Result(mismatches: mismatches, unwritten: unwritten, errors: errors)
    }

    /// Runs `kernel` with the output poisoned with 0x5A, then 0xA5 bytes, and says whether both runs
    /// equal the reference exactly, comparing the raw output buffer with ``physicalReference``.
    private func exactInPlace(_ kernel: LoadedConvKernel) throws -> Bool {
        let expected = try reference()
        let (element, count, layout, bytes) = try DeviceOperands.outputParameter(of: kernel.source)
        guard element == .int8 || element == .int32 else { return false }
        let key = "\(layout.map { "\($0)" } ?? "logical")/\(count)"
        let physical: (expected: [Int32], checked: [Bool])
        if let cached = physicalReference[key] {
            physical = cached
        } else {
            // Where each NCDHW element lives in the buffer: unpack an iota through the layout's own code.
            guard count <= Int(Int32.max) else { return false }
            let shape = DeviceOperands.physicalShape(operands.problem.parameters.outputShape, layout: layout, count: count)
            let iota = try Tensor<Int32>(shape: shape, layout: layout, elements: (0..<Int32(count)).map { $0 })
            let index = try DeviceOperands.unpack(iota, channels: operands.problem.parameters.outputChannels).elements
            guard index.count == expected.count else { return false }
            var values = [Int32](repeating: 0, count: count)
            var checked = [Bool](repeating: false, count: count)
            for (i, j) in index.enumerated() {
                values[Int(j)] = expected[i]
                checked[Int(j)] = true
            }
            physical = (values, checked)
            physicalReference[key] = physical
        }
        let arguments = try operands.arguments(for: kernel.source)
        let buffer = try operands.outputBuffer(bytes: bytes)
        for poison: UInt8 in [0x5A, 0xA5] {
            try operands.poisonOutput(of: kernel.source, with: poison)
            try kernel.launch(arguments)
            try operands.context.synchronize()
            let equal: Bool
            if element == .int8 {
                let raw = try buffer.values(of: Int8.self, count: count)
                equal = Self.equal(raw, physical.expected, where: physical.checked)
            } else {
                let raw = try buffer.values(of: Int32.self, count: count)
                equal = Self.equal(raw, physical.expected, where: physical.checked)
            }
            if !equal { return false }
        }
        return true
    }

    /// Whether `raw` equals `expected` wherever `checked` is set; one sequential pass.
    private static func equal<T: BinaryInteger>(_ raw: [T], _ expected: [Int32], where checked: [Bool]) -> Bool {
        guard raw.count == expected.count else { return false }
        return raw.withUnsafeBufferPointer { raw in
            expected.withUnsafeBufferPointer { expected in
                checked.withUnsafeBufferPointer { checked in
                    for i in 0..<raw.count where Int32(truncatingIfNeeded: raw[i]) != expected[i] && checked[i] {
                        return false
                    }
                    return true
                }
            }
        }
    }

    /// Milliseconds of `repeats` launches, each between two device events, after `warmup` launches.
    public func time(_ kernel: LoadedConvKernel, repeats: Int, warmup: Int = 5) throws -> [Double] {
        let arguments = try operands.arguments(for: kernel.source)
        let context = operands.context
        let stream = try CUDAStream(context: context)
        for _ in 0..<warmup { try kernel.launch(arguments, stream: stream) }
        let start = try CUDAEvent(context: context)
        let stop = try CUDAEvent(context: context)
        var times: [Double] = []
        for _ in 0..<repeats {
            try start.record(on: stream)
            try kernel.launch(arguments, stream: stream)
            try stop.record(on: stream)
            try stop.synchronize()
            times.append(Double(try CUDAEvent.elapsedMilliseconds(from: start, to: stop)))
        }
        return times
    }
}
