#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only JSON Lines file: each record is one line, written with one write(2) on a file
/// opened with O_APPEND, so records of a process that dies stay whole except perhaps the last.
final class JSONLinesFile {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard descriptor >= 0 else {
            throw ValidationErrorText("cannot open \(path) for appending: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(descriptor) }

    /// Ends a last line that a killed writer left without its newline, so that the next record starts
    /// a line of its own instead of joining the broken one.
    func terminateLastLine() throws {
        let size = lseek(descriptor, 0, SEEK_END)
        guard size > 0 else { return }
        let reader = open(path, O_RDONLY)
        guard reader >= 0 else { return }
        defer { close(reader) }
        var last: UInt8 = 0
        guard pread(reader, &last, 1, size - 1) == 1, last != UInt8(ascii: "\n") else { return }
        guard write(descriptor, "\n", 1) == 1 else {
            throw ValidationErrorText("cannot append to \(path): \(String(cString: strerror(errno)))")
        }
    }

    func append(_ record: some Encodable) throws {
        var line = try JSONText.encode(record) + "\n"
        let written = line.withUTF8 { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.utf8.count else {
            throw ValidationErrorText("cannot append to \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// An error whose whole message is its text.
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
}
