import CCUDA

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The CUDA driver (`libcuda.so.1`), loaded and initialized on first use.
///
/// Only `cuGetProcAddress_v2` (or, on drivers before CUDA 12, `cuGetProcAddress`) is looked up with
/// `dlsym`; every other entry point comes from it for CUDA 12.0 semantics, by its base name, so the
/// driver itself picks the right variant (`cuMemAlloc` is `cuMemAlloc_v2`, and so on).
///
/// ```swift
/// switch CUDADriver.availability() {
/// case .available(let version, let devices): ...
/// case .unavailable(let reason): ...   // "no CUDA driver (libcuda.so.1 not found: ...)"
/// }
/// ```
public enum CUDADriver {
    /// Whether CUDA can be used here, and if not why. Never traps: a machine without a driver or a
    /// device gets a reason.
    public static func availability() -> CUDAAvailability {
        do {
            let count = try deviceCount()
            guard count > 0 else {
                return .unavailable(reason: CUDAError.noDevice(reason: "cuDeviceGetCount reports 0 devices").description)
            }
            return .available(driverVersion: try version(), devices: count)
        } catch {
            return .unavailable(reason: error.description)
        }
    }

    /// The CUDA version the driver supports (`cuDriverGetVersion`): 12.4 is reported as 12040.
    public static func version() throws(CUDAError) -> CUDAVersion {
        let api = try entryPoints().api
        var version: Int32 = 0
        try check(api.cuDriverGetVersion(&version), "cuDriverGetVersion")
        return CUDAVersion(encoded: Int(version))
    }

    /// The number of CUDA devices.
    public static func deviceCount() throws(CUDAError) -> Int {
        let api = try entryPoints().api
        var count: Int32 = 0
        try check(api.cuDeviceGetCount(&count), "cuDeviceGetCount")
        return Int(count)
    }

    /// The driver's entry points, after a successful `cuInit`.
    static func entryPoints() throws(CUDAError) -> DriverEntryPoints {
        try loaded.get()
    }

    /// Throws the driver's name and message for `code` unless it is `CUDA_SUCCESS`.
    static func check(_ code: ccuda_result, _ call: String, kernel: String? = nil) throws(CUDAError) {
        guard code != CCUDA_SUCCESS else { return }
        let (name, message) = describe(code)
        throw .driver(call: call, code: code, name: name, message: message, kernel: kernel)
    }

    /// `cuGetErrorName` and `cuGetErrorString` of `code`, with a fallback for codes the driver does not know.
    static func describe(_ code: ccuda_result) -> (name: String, message: String) {
        guard let api = try? loaded.get().api else { return ("CUDA error \(code)", "unknown error") }
        var name: UnsafePointer<CChar>?
        var message: UnsafePointer<CChar>?
        _ = api.cuGetErrorName(code, &name)
        _ = api.cuGetErrorString(code, &message)
        return (name.map { String(cString: $0) } ?? "CUDA error \(code)",
                message.map { String(cString: $0) } ?? "unknown error")
    }

    /// Loaded once per process; a `static let` is initialized safely from any thread.
    private static let loaded: Result<DriverEntryPoints, CUDAError> = load()

    private static func load() -> Result<DriverEntryPoints, CUDAError> {
        var reason = [CChar](repeating: 0, count: 512)
        guard let table = ccuda_driver_load(&reason, reason.count) else {
            return .failure(.driverNotFound(reason: String(nulTerminated: reason)))
        }
        let entryPoints = DriverEntryPoints(table.pointee)
        free(table)
        let code = entryPoints.api.cuInit(0)
        guard code == CCUDA_SUCCESS else {
            var name: UnsafePointer<CChar>?
            _ = entryPoints.api.cuGetErrorName(code, &name)
            return .failure(.noDevice(reason: "cuInit failed: \(name.map { String(cString: $0) } ?? "CUDA error \(code)")"))
        }
        return .success(entryPoints)
    }
}

/// Whether CUDA can be used on this machine; see ``CUDADriver/availability()``.
public enum CUDAAvailability: Sendable, Equatable {
    case available(driverVersion: CUDAVersion, devices: Int)
    /// "no CUDA driver (...)" or "no CUDA device (...)".
    case unavailable(reason: String)

    public var isAvailable: Bool {
        if case .available = self { return true }
        return false
    }
}

/// The driver's entry points. They never change once loaded and the driver API may be called from any
/// thread, hence `@unchecked Sendable`.
final class DriverEntryPoints: @unchecked Sendable {
    let api: ccuda_driver_api

    init(_ api: ccuda_driver_api) {
        self.api = api
    }
}
