#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file operations CUDARuntime needs (finding NVRTC, the on-disk module cache), written
/// against the C library so that the target needs no Foundation.
enum FileSystem {
    /// The value of environment variable `name`, or nil when it is unset or empty.
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// The user's home directory: `$HOME`, else the password database's entry.
    static func homeDirectory() -> String? {
        if let home = environment("HOME") { return home }
        guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return nil }
        return String(cString: directory)
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The canonical path of `path` (symbolic links resolved), or nil when it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The names in `directory` (without `.` and `..`), sorted; empty when it cannot be read.
    static func contents(of directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The existing paths that match `pattern`, an absolute path whose components may hold the
    /// wildcards of `fnmatch` (`*`, `?`, `[...]`): "/usr/local/lib/python3.*/site-packages".
    /// Components without a wildcard are taken as they are; matches come in name order.
    static func expand(_ pattern: String) -> [String] {
        var paths = [pattern.hasPrefix("/") ? "" : "."]
        for component in pattern.split(separator: "/").map(String.init) {
            let isPattern = component.contains { "*?[".contains($0) }
            paths = paths.flatMap { base -> [String] in
                guard isPattern else { return ["\(base)/\(component)"] }
                return contents(of: base.isEmpty ? "/" : base)
                    .filter { fnmatch(component, $0, 0) == 0 }
                    .map { "\(base)/\($0)" }
            }
        }
        return paths.filter(exists)
    }

    /// The bytes of the file at `path`, or nil when it cannot be read.
    static func readFile(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Writes `bytes` to `path` so that a reader sees either the old file or the whole new one: the bytes
    /// go to a temporary file in the same directory, which is then renamed over `path`.
    /// Returns false (and leaves no temporary file) when any step fails.
    @discardableResult
    static func writeAtomically(_ bytes: [UInt8], to path: String) -> Bool {
        var template = Array("\(path).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { return false }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var written = 0
        var failed = false
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                written += count
            }
        }
        if close(descriptor) != 0 { failed = true }
        if failed || rename(temporary, path) != 0 {
            unlink(temporary)
            return false
        }
        return true
    }

    /// Creates `path` and its missing parents (like `mkdir -p`); true when the directory exists afterwards.
    @discardableResult
    static func createDirectories(_ path: String) -> Bool {
        if isDirectory(path) { return true }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/\(component)"
            if !isDirectory(prefix) && mkdir(prefix, 0o755) != 0 && errno != EEXIST { return false }
        }
        return isDirectory(path)
    }
}
