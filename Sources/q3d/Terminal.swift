#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// All of q3d's output goes through here: results to standard output, progress and errors to
/// standard error (so `--json` output stays parseable).
enum Terminal {
    static func error(_ message: String) {
        fputs(message.hasPrefix("Error:") || message.hasPrefix("error:") ? message + "\n" : "error: \(message)\n", stderr)
    }

    static func note(_ message: String) {
        fputs(message + "\n", stderr)
    }

    /// Rewrites the current standard-error line (a progress bar); `done` ends the line.
    static func progress(_ message: String, done: Bool = false) {
        let interactive = isatty(2) != 0
        if interactive {
            fputs("\r\u{1B}[K" + message + (done ? "\n" : ""), stderr)
        } else if done {
            fputs(message + "\n", stderr)
        }
        fflush(stderr)
    }

    /// A text progress bar: `[#####.....] 12/40 label`.
    static func bar(_ done: Int, _ total: Int, width: Int = 24, label: String = "") -> String {
        let filled = total > 0 ? min(width, done * width / total) : width
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(done)/\(total)" + (label.isEmpty ? "" : " " + label)
    }
}
