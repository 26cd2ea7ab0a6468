#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// All of q3d's output goes through here: results to standard output, progress and errors to
/// standard error (so `--json` output stays parseable).
enum Terminal {
    static func error(_ message: String) {
        writeError(message.hasPrefix("Error:") || message.hasPrefix("error:") ? message + "\n" : "error: \(message)\n")
    }

    static func note(_ message: String) {
        writeError(message + "\n")
    }

    /// Standard error, unbuffered: one write(2) per message.
    private static func writeError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Rewrites the current standard-error line (a progress bar); `done` ends the line.
    static func progress(_ message: String, done: Bool = false) {
        let interactive = isatty(2) != 0
        if interactive {
            writeError("\r\u{1B}[K" + message + (done ? "\n" : ""))
        } else if done {
            writeError(message + "\n")
        }
    }

    /// A text progress bar: `[#####.....] 12/40 label`.
    static func bar(_ done: Int, _ total: Int, width: Int = 24, label: String = "") -> String {
        let filled = total > 0 ? min(width, done * width / total) : width
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(done)/\(total)" + (label.isEmpty ? "" : " " + label)
    }
}
