/// Why a template cannot build a space for a workload, or render or accept a configuration.
public enum KernelsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The template does not handle this workload at all; its space would be empty.
    case unsupportedWorkload(template: String, reason: String)
    /// A configuration does not fit the workload (wrong split products, bad permutation, …).
    case configMismatch(template: String, reason: String)
    /// A configuration fits the workload but breaks a resource limit of the architecture.
    case configInvalid(template: String, architecture: String, reasons: [String])
    /// A value of a configuration space is malformed (see ``ConfigSpaceError``).
    case space(ConfigSpaceError)

    public var description: String {
        switch self {
        case let .unsupportedWorkload(template, reason):
            return "\(template): workload not supported: \(reason)"
        case let .configMismatch(template, reason):
            return "\(template): configuration does not fit the workload: \(reason)"
        case let .configInvalid(template, architecture, reasons):
            return "\(template): configuration invalid on \(architecture): " + reasons.joined(separator: "; ")
        case .space(let error):
            return error.description
        }
    }
}
