import CUDARuntime
import Kernels

/// Values for a kernel's parameters by role (input, weight, output, ...), turned into the launch
/// arguments of any rendered kernel in its declared order, so that a runner never depends on a
/// template's parameter order.
public struct KernelBindings: Sendable {
    public var buffers: [KernelParameter.Role: DeviceBuffer] = [:]
    public var floats: [KernelParameter.Role: Float] = [:]
    public var ints: [KernelParameter.Role: Int32] = [:]

    public init() {}

    /// The arguments of `source` in parameter order. Throws ``EngineError/binding(kernel:parameter:reason:)``
    /// for a role without a value and for a buffer smaller than the parameter's element count.
    public func arguments(for source: KernelSource) throws(EngineError) -> [KernelArgument] {
        var arguments: [KernelArgument] = []
        for parameter in source.parameters {
            func missing() -> EngineError {
                .binding(kernel: source.name, parameter: parameter.name, reason: "no value bound for role \(parameter.role)")
            }
            switch parameter.kind {
            case let .buffer(element, count, _, _):
                guard let buffer = buffers[parameter.role] else { throw missing() }
                let bytes = count * element.byteSize
                guard buffer.byteCount >= bytes else {
                    throw .binding(
                        kernel: source.name, parameter: parameter.name,
                        reason: "buffer of \(buffer.byteCount) bytes; the kernel reads or writes \(bytes) (\(count) \(element))")
                }
                arguments.append(.buffer(buffer))
            case .float32:
                guard let value = floats[parameter.role] else { throw missing() }
                arguments.append(.float(value))
            case .int32:
                guard let value = ints[parameter.role] else { throw missing() }
                arguments.append(.int32(value))
            }
        }
        return arguments
    }
}
