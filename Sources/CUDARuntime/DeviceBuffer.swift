import CCUDA

/// Device memory, freed with the object.
///
/// Copies are synchronous (`cuMemcpyHtoD`, `cuMemcpyDtoH`). A kernel that uses a buffer must have
/// finished before the buffer is released: keep the buffer until after a synchronize.
///
/// ```swift
/// let input = try DeviceBuffer(context: context, copying: values)    // [Int8] -> device
/// let output = try DeviceBuffer(context: context, byteCount: 4 * count)
/// try output.memset32(0xDEAD_BEEF)                                     // poison: unwritten shows
/// ...
/// let result = try output.values(of: Int32.self)
/// ```
public final class DeviceBuffer: @unchecked Sendable {
    public let context: CUDAContext
    public let byteCount: Int
    /// The device address (`CUdeviceptr`); 0 for an empty buffer.
    public let address: UInt64

    /// Allocates `byteCount` bytes, uninitialized. An empty buffer allocates nothing.
    public init(context: CUDAContext, byteCount: Int) throws(CUDAError) {
        guard byteCount >= 0 else { throw .invalidArgument("buffer of \(byteCount) bytes; expected 0 or more") }
        self.context = context
        self.byteCount = byteCount
        var address: ccuda_deviceptr = 0
        if byteCount > 0 {
            try context.call("cuMemAlloc(\(byteCount) bytes)") { $0.cuMemAlloc(&address, byteCount) }
        }
        self.address = address
    }

    /// Allocates a buffer the size of `values` and copies them in.
    public convenience init<T: BitwiseCopyable>(context: CUDAContext, copying values: [T]) throws(CUDAError) {
        try self.init(context: context, byteCount: values.count * MemoryLayout<T>.stride)
        try copy(from: values)
    }

    deinit {
        if byteCount > 0 {
            let address = address
            context.release { $0.cuMemFree(address) }
        }
    }

    /// Copies `bytes` from the host to the buffer, starting `byteOffset` bytes in.
    public func copy(from bytes: UnsafeRawBufferPointer, byteOffset: Int = 0) throws(CUDAError) {
        try checkRange(byteOffset, bytes.count, "copy to device")
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        let destination = address + UInt64(byteOffset)
        try context.call("cuMemcpyHtoD") { $0.cuMemcpyHtoD(destination, source, bytes.count) }
    }

    /// Copies `values` from the host to the buffer, starting `byteOffset` bytes in.
    public func copy<T: BitwiseCopyable>(from values: [T], byteOffset: Int = 0) throws(CUDAError) {
        let byteCount = values.count * MemoryLayout<T>.stride
        try checkRange(byteOffset, byteCount, "copy to device")
        guard byteCount > 0 else { return }
        let destination = address + UInt64(byteOffset)
        try context.call("cuMemcpyHtoD") { api in
            values.withUnsafeBytes { api.cuMemcpyHtoD(destination, $0.baseAddress!, $0.count) }
        }
    }

    /// Copies `bytes.count` bytes from the buffer, starting `byteOffset` bytes in, to the host.
    public func copy(to bytes: UnsafeMutableRawBufferPointer, byteOffset: Int = 0) throws(CUDAError) {
        try checkRange(byteOffset, bytes.count, "copy to host")
        guard let destination = bytes.baseAddress, bytes.count > 0 else { return }
        let source = address + UInt64(byteOffset)
        try context.call("cuMemcpyDtoH") { $0.cuMemcpyDtoH(destination, source, bytes.count) }
    }

    /// The buffer's contents as `count` values of `type` (as many as fit when `count` is nil),
    /// starting `byteOffset` bytes in.
    public func values<T: BitwiseCopyable>(
        of type: T.Type, count: Int? = nil, byteOffset: Int = 0
    ) throws(CUDAError) -> [T] {
        let count = count ?? max(0, byteCount - byteOffset) / MemoryLayout<T>.stride
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        try checkRange(byteOffset, overflow ? -1 : byteCount, "copy to host")
        guard count > 0 else { return [] }
        let source = address + UInt64(byteOffset)
        var values: [T] = []
        try context.call("cuMemcpyDtoH") { api in
            // The copy fills all `count` elements, or fails and leaves the array empty.
            var code: ccuda_result = 0
            values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                code = api.cuMemcpyDtoH(UnsafeMutableRawPointer(buffer.baseAddress!), source, byteCount)
                initialized = code == 0 ? count : 0
            }
            return code
        }
        return values
    }

    /// Sets every byte to `value` (`cuMemsetD8`).
    public func memset8(_ value: UInt8) throws(CUDAError) {
        guard byteCount > 0 else { return }
        let (address, count) = (address, byteCount)
        try context.call("cuMemsetD8") { $0.cuMemsetD8(address, value, count) }
    }

    /// Sets every 32-bit word to `value` (`cuMemsetD32`), e.g. a poison pattern that no kernel writes.
    /// The size must be a multiple of 4 bytes.
    public func memset32(_ value: UInt32) throws(CUDAError) {
        guard byteCount % 4 == 0 else {
            throw .invalidArgument("memset32 on a buffer of \(byteCount) bytes; expected a multiple of 4")
        }
        guard byteCount > 0 else { return }
        let (address, count) = (address, byteCount / 4)
        try context.call("cuMemsetD32") { $0.cuMemsetD32(address, value, count) }
    }

    private func checkRange(_ offset: Int, _ count: Int, _ operation: String) throws(CUDAError) {
        guard offset >= 0, count >= 0, offset <= byteCount, count <= byteCount - offset else {
            throw .invalidArgument(
                "\(operation): \(count) bytes at offset \(offset) do not fit a buffer of \(byteCount) bytes")
        }
    }
}
