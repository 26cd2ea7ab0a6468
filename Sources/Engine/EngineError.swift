import CPUKernels
import CUDARuntime
import Kernels
import Tensors

/// Why a kernel could not be prepared, run or checked by the engine. Each case carries the error of the
/// layer that failed or names the offending value.
public enum EngineError: Error, Sendable, CustomStringConvertible {
    case cuda(CUDAError)
    case kernels(KernelsError)
    case cpu(CPUKernelsError)
    case tensor(TensorError)
    /// A kernel parameter has no value of its role, or a buffer too small for it.
    case binding(kernel: String, parameter: String, reason: String)
    /// An option or an input does not fit the operation.
    case invalidInput(String)
    case unknownImplementation(String, known: [String])
    case wrongDevice(impl: String, runsOn: ComputeDevice, asked: DeviceRequest)
    case cudaUnavailable(String)
    case unsupported(impl: String, reason: String)

    public var description: String {
        switch self {
        case .cuda(let error): return error.description
        case .kernels(let error): return error.description
        case .cpu(let error): return error.description
        case .tensor(let error): return error.description
        case let .binding(kernel, parameter, reason): return "kernel \(kernel), parameter '\(parameter)': \(reason)"
        case .invalidInput(let message): return message
        case let .unknownImplementation(name, known):
            return "unknown implementation '\(name)'; expected one of \(known.joined(separator: ", "))"
        case let .wrongDevice(impl, runsOn, asked):
            return "implementation '\(impl)' runs on the \(runsOn.rawValue), but --device \(asked.rawValue) was asked for"
        case .cudaUnavailable(let reason):
            return "CUDA is not available: \(reason)"
        case let .unsupported(impl, reason):
            return impl.isEmpty ? reason : "implementation '\(impl)' cannot run this convolution: \(reason)"
        }
    }
}
