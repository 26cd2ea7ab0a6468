import CCUDA

extension CUDAFunction {
    /// Queues the kernel on `stream` (nil: the default stream) and returns without waiting.
    ///
    /// A fault inside the kernel (`CUDA_ERROR_ILLEGAL_ADDRESS`, ...) surfaces at the next synchronizing
    /// call: ``CUDAStream/synchronize()``, ``CUDAContext/synchronize()``, a copy to the host.
    ///
    /// - Parameters:
    ///   - grid: blocks along x, y, z, each at least 1.
    ///   - block: threads per block along x, y, z, each at least 1.
    ///   - sharedBytes: dynamic shared memory per block (`extern __shared__`).
    ///   - arguments: the kernel's parameters in order; see ``KernelArgument``.
    ///
    /// ```swift
    /// try add.launch(grid: ((count + 255) / 256, 1, 1), block: (256, 1, 1), sharedBytes: 0, stream: nil,
    ///                arguments: [.buffer(a), .buffer(b), .buffer(c), .int32(Int32(count))])
    /// ```
    public func launch(
        grid: (Int, Int, Int), block: (Int, Int, Int), sharedBytes: Int = 0, stream: CUDAStream? = nil,
        arguments: [KernelArgument]
    ) throws(CUDAError) {
        let sizes = [grid.0, grid.1, grid.2, block.0, block.1, block.2].compactMap { size in
            size >= 1 ? UInt32(exactly: size) : nil
        }
        guard sizes.count == 6, let shared = UInt32(exactly: sharedBytes) else {
            throw .launch(kernel: name, reason: "grid \(grid), block \(block), \(sharedBytes) shared bytes: "
                + "dimensions must be 1 to \(UInt32.max) and shared bytes 0 or more")
        }
        let context = module.context
        for case let .buffer(buffer) in arguments where buffer.context.handle != context.handle {
            throw .launch(kernel: name, reason: "a buffer of device \(buffer.context.device.ordinal) was passed "
                + "to a kernel loaded on device \(context.device.ordinal)")
        }
        // Each parameter gets an 8-byte, 8-aligned slot (every case fits); the driver reads the values
        // through `slots` during the call and copies them, so they need to live only that long.
        let values = UnsafeMutableRawPointer.allocate(byteCount: max(1, arguments.count) * 8, alignment: 8)
        defer { values.deallocate() }
        var slots: [UnsafeMutableRawPointer?] = []
        slots.reserveCapacity(arguments.count)
        for (index, argument) in arguments.enumerated() {
            let slot = values + index * 8
            switch argument {
            case let .buffer(buffer): slot.storeBytes(of: buffer.address, as: UInt64.self)
            case let .int32(value): slot.storeBytes(of: value, as: Int32.self)
            case let .uint32(value): slot.storeBytes(of: value, as: UInt32.self)
            case let .int64(value): slot.storeBytes(of: value, as: Int64.self)
            case let .float(value): slot.storeBytes(of: value, as: Float.self)
            case let .pointer(value): slot.storeBytes(of: value, as: UInt64.self)
            }
            slots.append(slot)
        }
        let (handle, streamHandle) = (handle, stream?.handle)
        try withExtendedLifetime(arguments) { () throws(CUDAError) in
            try context.call("cuLaunchKernel", kernel: name) { api in
                slots.withUnsafeMutableBufferPointer { parameters in
                    api.cuLaunchKernel(
                        handle, sizes[0], sizes[1], sizes[2], sizes[3], sizes[4], sizes[5], shared,
                        streamHandle, parameters.baseAddress, nil)
                }
            }
        }
    }
}
