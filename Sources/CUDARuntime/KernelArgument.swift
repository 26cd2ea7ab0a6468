/// One argument of a kernel launch, in the order of the kernel's parameters. The case must match the
/// parameter's type: `.buffer` and `.pointer` for pointers, `.int32` for `int`, and so on.
public enum KernelArgument: Sendable {
    /// A device buffer's address; the launch holds the buffer until the call returns.
    case buffer(DeviceBuffer)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case float(Float)
    /// A raw device address (or any other 64-bit value).
    case pointer(UInt64)
}
