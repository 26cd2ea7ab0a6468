/// What ptxas reports about one kernel with `--ptxas-options=-v`: registers per thread, bytes spilled
/// to local memory, and static shared memory.
///
/// The log holds, per entry function:
///
///     ptxas info    : Compiling entry function 'conv' for 'sm_90'
///     ptxas info    : Function properties for conv
///     ptxas         .     0 bytes stack frame, 8 bytes spill stores, 8 bytes spill loads
///     ptxas info    : Used 40 registers, used 1 barriers, 4096 bytes smem, 380 bytes cmem[0]
///
/// Each field is nil when the log does not say (no `-v`, or several kernels and none named `kernel`).
struct PTXASUsage: Equatable, Sendable {
    var registers: Int?
    /// Spill stores plus spill loads, in bytes: 0 for a kernel that keeps everything in registers.
    var spillBytes: Int?
    /// Static shared memory (`__shared__` arrays); 0 when ptxas lists none.
    var sharedBytes: Int?

    init(registers: Int? = nil, spillBytes: Int? = nil, sharedBytes: Int? = nil) {
        self.registers = registers
        self.spillBytes = spillBytes
        self.sharedBytes = sharedBytes
    }

    /// Reads the usage of `kernel` from a ptxas log. `kernel` matches an entry function of that exact
    /// name (`extern "C"`) or its Itanium-mangled form (`_Z4convPKaPa`); when the log has one entry
    /// function only, that one is taken whatever its name.
    init(log: String, kernel: String) {
        var usages: [(function: String, usage: PTXASUsage)] = []
        var entry: String?  // the entry function whose registers line comes next
        var properties: String?  // the function whose stack-frame line comes next
        for line in log.split(whereSeparator: \.isNewline) {
            if let name = Self.quotedName(after: "Compiling entry function '", in: line) {
                entry = name
                if !usages.contains(where: { $0.function == name }) { usages.append((name, PTXASUsage())) }
            } else if let range = line.firstRange(of: "Function properties for ") {
                properties = String(line[range.upperBound...]).trimmingSpaces()
            } else if line.contains("spill stores"), let function = properties,
                let index = usages.firstIndex(where: { $0.function == function })
            {
                let numbers = Self.numbers(in: line)
                usages[index].usage.spillBytes = (numbers["bytes spill stores"] ?? 0) + (numbers["bytes spill loads"] ?? 0)
            } else if line.contains(" registers"), let function = entry,
                let index = usages.firstIndex(where: { $0.function == function })
            {
                let numbers = Self.numbers(in: line)
                usages[index].usage.registers = numbers["registers"]
                usages[index].usage.sharedBytes = numbers["bytes smem"] ?? 0
            }
        }
        let mangledName = "\(kernel.utf8.count)\(kernel)"
        let match = usages.first { $0.function == kernel }
            ?? usages.first { $0.function.hasPrefix("_Z") && $0.function.contains(mangledName) }
            ?? (usages.count == 1 ? usages.first : nil)
        self = match?.usage ?? PTXASUsage()
    }

    /// The text between `prefix` and the next `'` in `line`.
    private static func quotedName(after prefix: String, in line: Substring) -> String? {
        guard let start = line.firstRange(of: prefix)?.upperBound,
            let end = line[start...].firstIndex(of: "'")
        else { return nil }
        return String(line[start..<end])
    }

    /// The numbers of a comma-separated ptxas line keyed by the words after each:
    /// "Used 40 registers, 4096 bytes smem" gives ["registers": 40, "bytes smem": 4096].
    private static func numbers(in line: Substring) -> [String: Int] {
        var result: [String: Int] = [:]
        for piece in line.split(separator: ",") {
            let words = piece.split(separator: " ")
            guard let index = words.lastIndex(where: { Int($0) != nil }), let value = Int(words[index]) else {
                continue
            }
            result[words[(index + 1)...].joined(separator: " ")] = value
        }
        return result
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
