import CCUDA

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One NVRTC shared library loaded into the process: where it is, its version and the real
/// architectures it compiles for.
///
/// Several can be loaded at once (each privately, with `RTLD_LOCAL`): NVRTC 13 dropped everything
/// before sm_75, so sm_61 needs a 12.x library while sm_100 and later want the newest.
/// See ``NVRTC/libraries()``.
public struct NVRTCLibrary: Sendable, CustomStringConvertible {
    /// The path it was loaded from (or the bare library name the dynamic loader resolved).
    public let path: String
    public let version: CUDAVersion
    /// The compute capabilities it compiles for, as `nvrtcGetSupportedArchs` lists them: 61, 80, 90, ...
    /// The `a` and `f` variants (sm_90a) are not listed; ``supports(_:)`` knows them.
    public let architectures: [Int]
    let entryPoints: NVRTCEntryPoints

    /// Whether this library compiles for `arch` ("sm_61", "sm_90a"); false for a malformed name.
    public func supports(_ arch: String) -> Bool {
        guard let name = try? ArchitectureName(parsing: arch) else { return false }
        return name.isSupported(by: version, architectures: architectures)
    }

    /// "NVRTC 12.9 (/path/libnvrtc.so.12)".
    public var description: String { "NVRTC \(version) (\(path))" }

    /// Loads the library at `path` and asks it for its version and architectures.
    static func load(path: String) -> Result<NVRTCLibrary, LoadFailure> {
        var reason = [CChar](repeating: 0, count: 512)
        guard let table = ccuda_nvrtc_load(path, &reason, reason.count) else {
            return .failure(LoadFailure(reason: String(nulTerminated: reason)))
        }
        let entryPoints = NVRTCEntryPoints(table.pointee)
        free(table)
        let api = entryPoints.api
        var major: Int32 = 0
        var minor: Int32 = 0
        var count: Int32 = 0
        guard api.nvrtcVersion(&major, &minor) == CCUDA_NVRTC_SUCCESS,
            api.nvrtcGetNumSupportedArchs(&count) == CCUDA_NVRTC_SUCCESS, count > 0
        else {
            return .failure(LoadFailure(reason: "nvrtcVersion or nvrtcGetNumSupportedArchs failed"))
        }
        var architectures = [Int32](repeating: 0, count: Int(count))
        guard api.nvrtcGetSupportedArchs(&architectures) == CCUDA_NVRTC_SUCCESS else {
            return .failure(LoadFailure(reason: "nvrtcGetSupportedArchs failed"))
        }
        return .success(
            NVRTCLibrary(
                path: path, version: CUDAVersion(major: Int(major), minor: Int(minor)),
                architectures: architectures.map(Int.init).sorted(), entryPoints: entryPoints))
    }

    /// Why a candidate library was not used.
    struct LoadFailure: Error {
        let reason: String
    }
}

/// The entry points of one loaded NVRTC library. They never change once loaded, and NVRTC may be
/// called from any thread (programs are independent of each other), hence `@unchecked Sendable`.
final class NVRTCEntryPoints: @unchecked Sendable {
    let api: ccuda_nvrtc_api

    init(_ api: ccuda_nvrtc_api) {
        self.api = api
    }
}
