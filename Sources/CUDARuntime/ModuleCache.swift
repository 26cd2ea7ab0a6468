import Synchronization

/// Compiled kernels kept in memory and on disk, keyed by the SHA-256 of everything that determines the
/// CUBIN: source, name, architecture, options and NVRTC version.
///
/// On disk each kernel is one file, `<key>.cubin`, in ``defaultDirectory()`` unless told otherwise.
/// Files are written atomically (a temporary file renamed into place), so concurrent processes never
/// read half a file; a file that does not check out (truncated, corrupted, another key) is ignored and
/// replaced by the next compilation. Writing is best effort: a read-only directory only costs speed.
///
/// ```swift
/// let cache = ModuleCache()
/// let kernel = try cache.kernel(source: source, name: "conv", arch: device.arch, options: options)
/// ```
public final class ModuleCache: Sendable {
    /// Where kernels are kept on disk; nil for a cache in memory only.
    public let directory: String?
    private let memory = Mutex<[String: CompiledKernel]>([:])

    /// A cache in `directory`, created when first written to; nil keeps kernels in memory only.
    public init(directory: String? = ModuleCache.defaultDirectory()) {
        self.directory = directory
    }

    /// `$Q3D_CACHE_DIR`, else `$XDG_CACHE_HOME/q3d/kernels`, else `~/.cache/q3d/kernels`; nil when
    /// there is no home directory either.
    public static func defaultDirectory() -> String? {
        defaultDirectory(environment: FileSystem.environment)
    }

    static func defaultDirectory(environment: (String) -> String?) -> String? {
        if let directory = environment("Q3D_CACHE_DIR") { return directory }
        if let cacheHome = environment("XDG_CACHE_HOME") { return "\(cacheHome)/q3d/kernels" }
        let home = environment("HOME") ?? FileSystem.homeDirectory()
        return home.map { "\($0)/.cache/q3d/kernels" }
    }

    /// The cache key: the hexadecimal SHA-256 of the inputs, each length-prefixed so that no two
    /// different inputs run together into the same bytes.
    public static func key(
        source: String, name: String, arch: String, options: [String], nvrtcVersion: String
    ) -> String {
        var hash = SHA256()
        func add(_ text: String) {
            hash.update(UInt64(text.utf8.count).littleEndianBytes)
            hash.update(text.utf8)
        }
        add("q3d kernel cache 1")
        add(source)
        add(name)
        add(arch)
        hash.update(UInt64(options.count).littleEndianBytes)
        options.forEach(add)
        add(nvrtcVersion)
        return hash.hexDigest()
    }

    /// The kernel compiled from these inputs: from memory, else from disk, else compiled by
    /// ``NVRTC/compile(source:name:arch:options:)`` and stored in both.
    public func kernel(
        source: String, name: String, arch: String, options: [String] = []
    ) throws(CUDAError) -> CompiledKernel {
        let library = try NVRTC.library(for: arch)
        let key = Self.key(
            source: source, name: name, arch: arch, options: options, nvrtcVersion: library.version.description)
        if let kernel = cachedKernel(forKey: key) { return kernel }
        let kernel = try library.compile(source: source, name: name, arch: arch, options: options)
        store(kernel, forKey: key)
        return kernel
    }

    /// The kernel stored under `key`, from memory or else from disk; nil when there is none or the file
    /// does not check out.
    public func cachedKernel(forKey key: String) -> CompiledKernel? {
        if let kernel = memory.withLock({ $0[key] }) { return kernel }
        guard let path = path(forKey: key), let bytes = FileSystem.readFile(path),
            let kernel = CachedKernelFile.decode(bytes, key: key)
        else { return nil }
        memory.withLock { $0[key] = kernel }
        return kernel
    }

    /// Stores `kernel` under `key` in memory and, when the cache has a directory, on disk.
    public func store(_ kernel: CompiledKernel, forKey key: String) {
        memory.withLock { $0[key] = kernel }
        guard let directory, let path = path(forKey: key), FileSystem.createDirectories(directory) else { return }
        FileSystem.writeAtomically(CachedKernelFile.encode(kernel, key: key), to: path)
    }

    /// The file of `key` in the cache directory.
    public func path(forKey key: String) -> String? {
        directory.map { "\($0)/\(key).cubin" }
    }

    /// Forgets the kernels kept in memory (the files stay).
    public func removeAllFromMemory() {
        memory.withLock { $0.removeAll() }
    }
}

extension UInt64 {
    /// The eight bytes of the value, least significant first.
    var littleEndianBytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: self >> ($0 * 8)) }
    }
}
