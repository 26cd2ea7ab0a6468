/// A kernel compiled by NVRTC for one real architecture: the CUBIN to load with ``CUDAModule`` and what
/// the compiler said about it.
///
/// The CUBIN, not PTX, is kept: a driver rejects PTX written by an NVRTC newer than itself, while a CUBIN
/// for the device's architecture needs no JIT at all.
public struct CompiledKernel: Sendable, Hashable {
    /// The kernel's name, also the program name NVRTC uses in its messages (`name.cu(12): error ...`).
    public let name: String
    /// The architecture compiled for: "sm_61", "sm_90a".
    public let arch: String
    public let cubin: [UInt8]
    /// NVRTC's log: warnings, and ptxas's report with `--ptxas-options=-v`.
    public let log: String
    /// The NVRTC that compiled it: "12.9".
    public let nvrtcVersion: String
    /// Registers per thread, from the ptxas report (nil without `--ptxas-options=-v`).
    public let registers: Int?
    /// Spill stores plus spill loads in bytes, from the ptxas report; anything but 0 is usually a bad sign.
    public let spillBytes: Int?
    /// Static shared memory in bytes, from the ptxas report.
    public let sharedBytes: Int?

    /// A compiled kernel; the ptxas figures are read from `log`.
    public init(name: String, arch: String, cubin: [UInt8], log: String, nvrtcVersion: String) {
        self.name = name
        self.arch = arch
        self.cubin = cubin
        self.log = log
        self.nvrtcVersion = nvrtcVersion
        let usage = PTXASUsage(log: log, kernel: name)
        registers = usage.registers
        spillBytes = usage.spillBytes
        sharedBytes = usage.sharedBytes
    }
}
