/// Builds CUDA C++ text line by line with two-space indentation, so renderers read as the code they
/// emit.
struct CUDAWriter {
    private(set) var text = ""
    private var depth = 0

    /// Appends one line at the current indentation.
    mutating func line(_ content: String) {
        text += content.isEmpty ? "\n" : String(repeating: "  ", count: depth) + content + "\n"
    }

    /// Appends lines at the current indentation.
    mutating func lines(_ contents: [String]) {
        for content in contents { line(content) }
    }

    /// Appends `header {` and indents what follows.
    mutating func open(_ header: String) {
        line(header + " {")
        depth += 1
    }

    /// Closes the innermost `open` with `}` and `suffix`.
    mutating func close(_ suffix: String = "") {
        depth = max(0, depth - 1)
        line("}" + suffix)
    }

    mutating func blank() { text += "\n" }
}
