import CCUDA

/// Run-time compilation of CUDA C++ to CUBIN with NVRTC.
///
/// NVRTC is loaded at run time: the library `$Q3D_NVRTC` names, else every one found among pip's
/// NVRTC wheels (nvidia-cuda-nvrtc, nvidia-cuda-nvrtc-cu12) and the system's libraries; ``searched()``
/// says where it looked. A machine without one builds Q3D and fails here with
/// ``CUDAError/nvrtcNotFound(searched:)``. Each architecture is
/// compiled by the newest NVRTC that supports it, so sm_61 goes to a 12.x library when the newest is 13.x.
///
/// ```swift
/// let kernel = try NVRTC.compile(source: source, name: "conv", arch: "sm_90a",
///                                options: ["-default-device", "--std=c++17", "--ptxas-options=-v"])
/// print(kernel.registers ?? 0, kernel.spillBytes ?? 0)
/// ```
///
/// All functions may be called from several threads at once.
public enum NVRTC {
    /// Every NVRTC library found and loaded, newest first; searched for once per process.
    public static func libraries() -> [NVRTCLibrary] {
        NVRTCDiscovery.shared.libraries
    }

    /// Each place looked at for NVRTC, with what was found there or why it was not used.
    public static func searched() -> [String] {
        NVRTCDiscovery.shared.searched
    }

    /// The newest library that compiles for `arch` ("sm_61", "sm_90a").
    public static func library(for arch: String) throws(CUDAError) -> NVRTCLibrary {
        let name = try ArchitectureName(parsing: arch)
        let discovery = NVRTCDiscovery.shared
        guard !discovery.libraries.isEmpty else { throw .nvrtcNotFound(searched: discovery.searched) }
        guard let library = discovery.libraries.first(where: {
            name.isSupported(by: $0.version, architectures: $0.architectures)
        }) else {
            throw .archNotSupported(arch: arch, available: discovery.libraries.map { ($0.path, $0.architectures) })
        }
        return library
    }

    /// Compiles `source` for `arch` with the newest NVRTC that supports it.
    ///
    /// - Parameters:
    ///   - source: CUDA C++ source; NVRTC has no system headers, so it declares what it uses.
    ///   - name: the kernel's name; the program is called `name.cu` in NVRTC's messages.
    ///   - arch: a real architecture, "sm_80", "sm_90a"; passed as `--gpu-architecture`.
    ///   - options: further NVRTC options: `-default-device`, `--std=c++17`, `-lineinfo`,
    ///     `--ptxas-options=-v` (registers, spills and shared memory land in the log and the result).
    /// - Throws: ``CUDAError/compilation(name:arch:log:)`` with the log when the source does not compile;
    ///   ``CUDAError/nvrtcNotFound(searched:)``, ``CUDAError/archNotSupported(arch:available:)``.
    public static func compile(
        source: String, name: String, arch: String, options: [String] = []
    ) throws(CUDAError) -> CompiledKernel {
        try library(for: arch).compile(source: source, name: name, arch: arch, options: options)
    }
}

extension NVRTCLibrary {
    /// Compiles `source` for `arch` with this library; see ``NVRTC/compile(source:name:arch:options:)``.
    public func compile(
        source: String, name: String, arch: String, options: [String] = []
    ) throws(CUDAError) -> CompiledKernel {
        guard try ArchitectureName(parsing: arch).isSupported(by: version, architectures: architectures) else {
            throw .archNotSupported(arch: arch, available: [(path, architectures)])
        }
        let program = try NVRTCProgram(library: self, source: source, name: name)
        let code = program.compile(options: ["--gpu-architecture=\(arch)"] + options)
        let log = try program.log()
        guard code == CCUDA_NVRTC_SUCCESS else {
            if code == CCUDA_NVRTC_ERROR_COMPILATION { throw .compilation(name: name, arch: arch, log: log) }
            let message = NVRTCProgram.message(code, entryPoints.api)
            throw .nvrtc(call: "nvrtcCompileProgram", code: code, message: log.isEmpty ? message : "\(message)\n\(log)")
        }
        let cubin = try program.cubin()
        guard !cubin.isEmpty else {
            throw .nvrtc(call: "nvrtcGetCUBIN", code: 0, message: "NVRTC \(version) produced no CUBIN for \(arch)")
        }
        return CompiledKernel(name: name, arch: arch, cubin: cubin, log: log, nvrtcVersion: version.description)
    }
}
