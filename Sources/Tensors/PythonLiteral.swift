/// The Python literals an `.npy` header is written in: `{'descr': '<f4', 'fortran_order': False,
/// 'shape': (2, 3), }`.
///
/// The parser accepts strings in either quote, integers (with Python 2's `L` suffix), `True`,
/// `False`, `None`, tuples (with the optional trailing comma), lists and dictionaries with string
/// keys, separated by any whitespace. It reports the first thing it does not understand, with its
/// offset, and never reads past the end or nests deeper than `maximumDepth`.
enum PythonLiteral: Sendable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dictionary([String: PythonLiteral])

    /// How it reads in an error message.
    var kind: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .bool: "a boolean"
        case .none: "None"
        case .tuple: "a tuple"
        case .list: "a list"
        case .dictionary: "a dictionary"
        }
    }

    /// Nesting past this depth is refused: a header needs 2 levels, and a corrupt one full of `(`
    /// must not exhaust the stack.
    static let maximumDepth = 16

    /// Parses `text`, one literal and optional whitespace around it.
    ///
    /// - Throws: a message saying what was found where, and what was expected.
    static func parse(_ text: [UInt8]) throws(PythonLiteralError) -> PythonLiteral {
        var parser = Parser(text: text)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == text.count else { throw parser.error("expected the end after the value") }
        return value
    }
}

/// What is wrong with a Python literal, and where.
struct PythonLiteralError: Error {
    let message: String
}

private struct Parser {
    let text: [UInt8]
    var position = 0

    init(text: [UInt8]) { self.text = text }

    func error(_ expectation: String) -> PythonLiteralError {
        let found = position < text.count ? "'\(Self.printable(text[position]))'" : "the end"
        return PythonLiteralError(message: "\(expectation), found \(found) at offset \(position)")
    }

    static func printable(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }

    var current: UInt8? { position < text.count ? text[position] : nil }

    mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
    }

    mutating func value(depth: Int) throws(PythonLiteralError) -> PythonLiteral {
        guard depth <= PythonLiteral.maximumDepth else {
            throw error("expected at most \(PythonLiteral.maximumDepth) nested brackets")
        }
        skipWhitespace()
        guard let next = current else {
            throw error("expected a string, integer, True, False, None, tuple, list or dictionary")
        }
        switch next {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
        case UInt8(ascii: "("):
            let (items, sawComma) = try sequence(closing: UInt8(ascii: ")"), depth: depth)
            // `(3)` is the integer 3 in Python; only `(3,)` is a tuple of one.
            return items.count == 1 && !sawComma ? items[0] : .tuple(items)
        case UInt8(ascii: "["): return .list(try sequence(closing: UInt8(ascii: "]"), depth: depth).items)
        case UInt8(ascii: "{"): return .dictionary(try dictionary(depth: depth))
        default:
            for (word, literal) in [("True", PythonLiteral.bool(true)), ("False", .bool(false)), ("None", .none)]
            where matches(word) {
                position += word.utf8.count
                return literal
            }
            throw error("expected a string, integer, True, False, None, tuple, list or dictionary")
        }
    }

    func matches(_ word: String) -> Bool {
        let bytes = Array(word.utf8)
        guard text.count - position >= bytes.count, Array(text[position..<position + bytes.count]) == bytes else {
            return false
        }
        // `Trueish` is a name, not `True`.
        let end = position + bytes.count
        return end == text.count || !Self.isIdentifierByte(text[end])
    }

    static func isIdentifierByte(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "_")
    }

    mutating func string() throws(PythonLiteralError) -> String {
        guard let quote = current else { throw error("expected a string") }
        position += 1
        var bytes: [UInt8] = []
        while let c = current {
            position += 1
            switch c {
            case quote: return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = current, [UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\"")].contains(escaped)
                else { throw error("expected \\\\, \\' or \\\" after a backslash in a string") }
                bytes.append(escaped)
                position += 1
            case 0x0A: throw error("expected the closing quote before the end of the line")
            default: bytes.append(c)
            }
        }
        throw error("expected the closing quote \(Self.printable(quote))")
    }

    mutating func integer() throws(PythonLiteralError) -> Int {
        let negative = current == UInt8(ascii: "-")
        if negative { position += 1 }
        let start = position
        var magnitude = 0
        while let c = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) {
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
            guard !o1 && !o2 else {
                position = start
                throw error("expected an integer of at most \(Int.max)")
            }
            magnitude = sum
            position += 1
        }
        guard position > start else { throw error("expected digits") }
        if current == UInt8(ascii: "L") { position += 1 }
        return negative ? -magnitude : magnitude
    }

    /// Items up to `closing`, separated by commas, with an optional trailing comma.
    mutating func sequence(
        closing: UInt8, depth: Int
    ) throws(PythonLiteralError) -> (items: [PythonLiteral], sawComma: Bool) {
        position += 1
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            if current == closing {
                position += 1
                return (items, sawComma)
            }
            items.append(try value(depth: depth + 1))
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                sawComma = true
            } else if current != closing {
                throw error("expected ',' or '\(Self.printable(closing))'")
            }
        }
    }

    mutating func dictionary(depth: Int) throws(PythonLiteralError) -> [String: PythonLiteral] {
        position += 1
        var entries: [String: PythonLiteral] = [:]
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                position += 1
                return entries
            }
            guard current == UInt8(ascii: "'") || current == UInt8(ascii: "\"") else {
                throw error("expected a quoted key or '}'")
            }
            let keyStart = position
            let key = try string()
            guard entries[key] == nil else {
                position = keyStart
                throw error("expected each key once, '\(key)' repeats")
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':' after key '\(key)'") }
            position += 1
            entries[key] = try value(depth: depth + 1)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
            } else if current != UInt8(ascii: "}") {
                throw error("expected ',' or '}'")
            }
        }
    }
}
