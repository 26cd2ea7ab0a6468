import CCUDA

/// A stream: work queued on it runs in order, concurrently with other streams. Destroyed with the object.
/// Where an API takes an optional stream, nil is the context's default (legacy) stream.
public final class CUDAStream: @unchecked Sendable {
    public let context: CUDAContext
    let handle: ccuda_stream

    public init(context: CUDAContext) throws(CUDAError) {
        self.context = context
        var stream: ccuda_stream?
        try context.call("cuStreamCreate") { $0.cuStreamCreate(&stream, 0) }
        guard let stream else { throw .invalidArgument("cuStreamCreate gave no stream") }
        handle = stream
    }

    deinit {
        let handle = handle
        context.release { $0.cuStreamDestroy(handle) }
    }

    /// Waits until everything queued on the stream has finished.
    public func synchronize() throws(CUDAError) {
        let handle = handle
        try context.call("cuStreamSynchronize") { $0.cuStreamSynchronize(handle) }
    }
}
