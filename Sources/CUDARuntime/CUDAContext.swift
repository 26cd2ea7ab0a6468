import CCUDA

/// The primary context of a device, retained for the life of the object and current on the thread
/// that made it.
///
/// Every object made from a context (buffers, streams, events, modules) holds it, so it is released
/// last; each call they make sets it current first, so they may be used from any thread.
///
/// ```swift
/// let context = try CUDAContext(device: try CUDADevice(ordinal: 0))
/// let buffer = try DeviceBuffer(context: context, byteCount: 1 << 20)
/// ```
public final class CUDAContext: @unchecked Sendable {
    public let device: CUDADevice
    let handle: ccuda_context
    let api: ccuda_driver_api

    /// Retains `device`'s primary context and makes it current on the calling thread.
    public init(device: CUDADevice) throws(CUDAError) {
        api = try CUDADriver.entryPoints().api
        self.device = device
        var context: ccuda_context?
        try CUDADriver.check(api.cuDevicePrimaryCtxRetain(&context, device.handle), "cuDevicePrimaryCtxRetain")
        guard let context else {
            throw .noDevice(reason: "cuDevicePrimaryCtxRetain gave no context for device \(device.ordinal)")
        }
        handle = context
        try makeCurrent()  // on failure, deinit releases the context: every property is set by now
    }

    /// The primary context of device `ordinal`.
    public convenience init(ordinal: Int = 0) throws(CUDAError) {
        try self.init(device: try CUDADevice(ordinal: ordinal))
    }

    deinit {
        _ = api.cuDevicePrimaryCtxRelease(device.handle)
    }

    /// Makes this context current on the calling thread.
    public func makeCurrent() throws(CUDAError) {
        try CUDADriver.check(api.cuCtxSetCurrent(handle), "cuCtxSetCurrent")
    }

    /// Waits for all work of the context; reports the error of a kernel that failed since the last check.
    public func synchronize() throws(CUDAError) {
        try call("cuCtxSynchronize") { $0.cuCtxSynchronize() }
    }

    /// Free and total device memory in bytes (`cuMemGetInfo`).
    public func memoryInfo() throws(CUDAError) -> (free: Int, total: Int) {
        var free = 0
        var total = 0
        try call("cuMemGetInfo") { $0.cuMemGetInfo(&free, &total) }
        return (free, total)
    }

    /// Makes the context current, then makes the driver call `body` and checks its result.
    func call(
        _ name: String, kernel: String? = nil, _ body: (ccuda_driver_api) -> ccuda_result
    ) throws(CUDAError) {
        try makeCurrent()
        try CUDADriver.check(body(api), name, kernel: kernel)
    }

    /// For `deinit`s: makes the context current and releases a handle, ignoring failures (there is
    /// nobody to report them to, and a failed release must not stop the others).
    func release(_ body: (ccuda_driver_api) -> ccuda_result) {
        _ = api.cuCtxSetCurrent(handle)
        _ = body(api)
    }
}
