/// A real GPU architecture as NVRTC's `--gpu-architecture` spells it: `sm_`, the compute capability as
/// a number (61, 80, 90, 100), and an optional suffix — `a` for the architecture-specific features of
/// exactly that chip (`wgmma` needs `sm_90a`), `f` for a family (`sm_100f`, NVRTC 12.9 and later).
struct ArchitectureName: Hashable, Sendable {
    let number: Int
    let suffix: Character?

    init(parsing text: String) throws(CUDAError) {
        guard text.hasPrefix("sm_") else { throw .invalidArch(text) }
        var digits = Substring(text.dropFirst(3))
        var suffix: Character?
        if let last = digits.last, last == "a" || last == "f" {
            suffix = last
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int(digits), number > 0 else {
            throw .invalidArch(text)
        }
        self.number = number
        self.suffix = suffix
    }

    /// Whether an NVRTC of `version` that lists `architectures` (plain numbers, as
    /// `nvrtcGetSupportedArchs` gives them) can compile for this architecture. The suffixed variants are
    /// not listed: `a` exists from sm_90 on, `f` from sm_100 on and NVRTC 12.9.
    func isSupported(by version: CUDAVersion, architectures: [Int]) -> Bool {
        guard architectures.contains(number) else { return false }
        switch suffix {
        case nil: return true
        case "a": return number >= 90
        default: return number >= 100 && version >= CUDAVersion(major: 12, minor: 9)
        }
    }
}
