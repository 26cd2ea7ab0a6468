/// How a fast CPU convolution runs: on how many threads and with which instruction set.
///
/// ```swift
/// var options = CPUConv3DOptions()          // all active cores, best instruction set
/// options.instructionSet = .scalar          // e.g. to test the portable path
/// ```
public struct CPUConv3DOptions: Hashable, Sendable {
    /// Workers that take output rows; at most the active cores run at once (Dispatch's pool width).
    public var threads: Int
    public var instructionSet: CPUInstructionSet

    public init(threads: Int = CPUFeatures.current.activeCores, instructionSet: CPUInstructionSet = .best) {
        self.threads = threads
        self.instructionSet = instructionSet
    }

    /// Throws unless the thread count is positive and this CPU supports the instruction set.
    func validate() throws(CPUKernelsError) {
        guard threads >= 1 else { throw .invalidThreadCount(threads) }
        let features = CPUFeatures.current
        guard features.supports(instructionSet) else {
            throw .unsupportedInstructionSet(instructionSet, features: features)
        }
    }
}
