import FoundationEssentials

/// Whole-file reads and writes, with errors that name the path.
enum FileIO {
    static func read(_ path: String) throws(ONNXError) -> Data {
        do {
            return try Data(contentsOf: URL(filePath: path))
        } catch {
            throw .io(path: path, reason: "cannot read (\(error))")
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws(ONNXError) {
        do {
            try Data(bytes).write(to: URL(filePath: path), options: .atomic)
        } catch {
            throw .io(path: path, reason: "cannot write (\(error))")
        }
    }

    /// The directory part of `path` ("." when there is none).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
