/// Why a CUDA driver or NVRTC operation failed. Each message names the call, the CUDA or NVRTC error
/// and, where there is one, the kernel.
public enum CUDAError: Error, Sendable, CustomStringConvertible {
    /// `libcuda.so.1` could not be loaded or lacks an entry point Q3D needs.
    case driverNotFound(reason: String)
    /// The driver loaded but reports no usable device (`cuInit` failed or the device count is 0), or an
    /// ordinal past the last device was asked for.
    case noDevice(reason: String)
    /// No NVRTC library could be loaded; `searched` lists each candidate with why it was rejected.
    case nvrtcNotFound(searched: [String])
    /// No NVRTC found supports `arch`; `available` lists what each library does support.
    case archNotSupported(arch: String, available: [(library: String, architectures: [Int])])
    /// `arch` is not of the form `sm_XY` with an optional `a` or `f` suffix.
    case invalidArch(String)
    /// A driver call failed. `name` comes from `cuGetErrorName` (e.g. `CUDA_ERROR_ILLEGAL_ADDRESS`).
    case driver(call: String, code: Int32, name: String, message: String, kernel: String?)
    /// An NVRTC call failed for a reason other than the source (see `compilation`).
    case nvrtc(call: String, code: Int32, message: String)
    /// The source of kernel `name` did not compile for `arch`; `log` is NVRTC's (and ptxas's) log.
    case compilation(name: String, arch: String, log: String)
    /// A launch was refused before reaching the driver (a dimension out of range, ...).
    case launch(kernel: String, reason: String)
    /// A host-side argument is inconsistent with what it is applied to (a copy larger than the buffer, ...).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .driverNotFound(reason):
            return "no CUDA driver (\(reason))"
        case let .noDevice(reason):
            return "no CUDA device (\(reason))"
        case let .nvrtcNotFound(searched):
            return "NVRTC not found; searched:\n" + searched.map { "  \($0)" }.joined(separator: "\n")
        case let .archNotSupported(arch, available):
            let libraries = available.map { library, architectures in
                "  \(library): " + architectures.map { "sm_\($0)" }.joined(separator: " ")
            }
            return "no NVRTC supports \(arch); found:\n" + libraries.joined(separator: "\n")
        case let .invalidArch(arch):
            return "'\(arch)' is not a GPU architecture; expected sm_ and a number, e.g. sm_80 or sm_90a"
        case let .driver(call, code, name, message, kernel):
            let subject = kernel.map { " (kernel '\($0)')" } ?? ""
            return "\(call) failed\(subject): \(name) (\(code)): \(message)"
        case let .nvrtc(call, code, message):
            return "\(call) failed: \(message) (\(code))"
        case let .compilation(name, arch, log):
            return "kernel '\(name)' does not compile for \(arch):\n\(log)"
        case let .launch(kernel, reason):
            return "cannot launch kernel '\(kernel)': \(reason)"
        case let .invalidArgument(reason):
            return reason
        }
    }
}
