import CCUDA

/// A point in a stream's work, recorded to time kernels. Destroyed with the object.
///
/// ```swift
/// try start.record(on: stream)
/// try function.launch(...)
/// try end.record(on: stream)
/// let milliseconds = try CUDAEvent.elapsedMilliseconds(from: start, to: end)
/// ```
public final class CUDAEvent: @unchecked Sendable {
    public let context: CUDAContext
    let handle: ccuda_event

    /// An event that records timing (`CU_EVENT_DEFAULT`).
    public init(context: CUDAContext) throws(CUDAError) {
        self.context = context
        var event: ccuda_event?
        try context.call("cuEventCreate") { $0.cuEventCreate(&event, 0) }
        guard let event else { throw .invalidArgument("cuEventCreate gave no event") }
        handle = event
    }

    deinit {
        let handle = handle
        context.release { $0.cuEventDestroy(handle) }
    }

    /// Records the event after the work queued so far on `stream` (nil: the default stream).
    public func record(on stream: CUDAStream? = nil) throws(CUDAError) {
        let (handle, streamHandle) = (handle, stream?.handle)
        try context.call("cuEventRecord") { $0.cuEventRecord(handle, streamHandle) }
    }

    /// Waits until the work before the event has finished.
    public func synchronize() throws(CUDAError) {
        let handle = handle
        try context.call("cuEventSynchronize") { $0.cuEventSynchronize(handle) }
    }

    /// The time between two recorded events in milliseconds (about 0.5 µs resolution); waits for `end`.
    public static func elapsedMilliseconds(from start: CUDAEvent, to end: CUDAEvent) throws(CUDAError) -> Float {
        try end.synchronize()
        var milliseconds: Float = 0
        let (startHandle, endHandle) = (start.handle, end.handle)
        try end.context.call("cuEventElapsedTime") { $0.cuEventElapsedTime(&milliseconds, startHandle, endHandle) }
        return milliseconds
    }
}
