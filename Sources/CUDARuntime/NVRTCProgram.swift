import CCUDA

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One NVRTC program (a source and its compilation), destroyed with the object.
final class NVRTCProgram {
    private let api: ccuda_nvrtc_api
    private let handle: ccuda_nvrtc_program
    private let name: String

    /// Creates the program of `source`; `name` becomes its file name in NVRTC's messages.
    init(library: NVRTCLibrary, source: String, name: String) throws(CUDAError) {
        api = library.entryPoints.api
        self.name = name
        var program: ccuda_nvrtc_program?
        let code = api.nvrtcCreateProgram(&program, source, "\(name).cu", 0, nil, nil)
        guard code == CCUDA_NVRTC_SUCCESS, let program else {
            throw CUDAError.nvrtc(call: "nvrtcCreateProgram", code: code, message: Self.message(code, api))
        }
        handle = program
    }

    deinit {
        var program: ccuda_nvrtc_program? = handle
        _ = api.nvrtcDestroyProgram(&program)
    }

    /// Compiles with `options`; returns the NVRTC result (0 for success, 6 when the log explains a
    /// failure in the source) so that the caller can read the log either way.
    func compile(options: [String]) -> Int32 {
        let strings = options.map { strdup($0) }
        defer { strings.forEach { free($0) } }
        let pointers = strings.map { UnsafePointer($0) }
        return api.nvrtcCompileProgram(handle, Int32(pointers.count), pointers)
    }

    /// The compilation log, without the terminating zero.
    func log() throws(CUDAError) -> String {
        let bytes = try read("nvrtcGetProgramLog", size: api.nvrtcGetProgramLogSize, contents: api.nvrtcGetProgramLog)
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The CUBIN of a successful compilation for a real architecture (empty for a virtual one).
    func cubin() throws(CUDAError) -> [UInt8] {
        try read("nvrtcGetCUBIN", size: api.nvrtcGetCUBINSize, contents: api.nvrtcGetCUBIN)
    }

    /// Calls an NVRTC size-then-contents pair.
    private func read(
        _ call: String,
        size: (ccuda_nvrtc_program, UnsafeMutablePointer<Int>) -> Int32,
        contents: (ccuda_nvrtc_program, UnsafeMutablePointer<CChar>) -> Int32
    ) throws(CUDAError) -> [UInt8] {
        var count = 0
        var code = size(handle, &count)
        guard code == CCUDA_NVRTC_SUCCESS else {
            throw CUDAError.nvrtc(call: "\(call)Size", code: code, message: Self.message(code, api))
        }
        guard count > 0 else { return [] }
        var buffer = [CChar](repeating: 0, count: count)
        code = buffer.withUnsafeMutableBufferPointer { contents(handle, $0.baseAddress!) }
        guard code == CCUDA_NVRTC_SUCCESS else {
            throw CUDAError.nvrtc(call: call, code: code, message: Self.message(code, api))
        }
        return buffer.map { UInt8(bitPattern: $0) }
    }

    /// NVRTC's name for `code` ("NVRTC_ERROR_INVALID_OPTION").
    static func message(_ code: Int32, _ api: ccuda_nvrtc_api) -> String {
        api.nvrtcGetErrorString(code).map { String(cString: $0) } ?? "NVRTC error \(code)"
    }
}
