/// The part of an `.npy` file before the data: magic, version, header length, and a Python
/// dictionary giving dtype, order and shape.
///
/// Layout of the format (NumPy's `numpy.lib.format`): the six bytes `\x93NUMPY`, the major and minor
/// version, the header length (2 bytes little-endian in version 1.0, 4 bytes in 2.0 and 3.0), then
/// the header, padded with spaces and ended by a newline so that the data starts at a multiple of 64.
/// Versions 1.0 and 2.0 write the header in Latin-1, 3.0 in UTF-8; only ASCII matters here.
struct NPYHeader: Sendable {
    var dtype: DType
    /// The byte order of the data: true for `>`; one-byte types are false.
    var isBigEndian: Bool
    var shape: [Int]
    /// The number of elements, the product of `shape`.
    var count: Int
    /// The number of data bytes, `count · dtype.byteSize`.
    var byteCount: Int

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    static let alignment = 64

    static var hostIsBigEndian: Bool { UInt16(1).bigEndian == 1 }

    /// The descriptor this machine writes for `dtype`: `|` for one byte, else its own byte order.
    static func descriptor(for dtype: DType) -> String {
        (dtype.byteSize == 1 ? "|" : hostIsBigEndian ? ">" : "<") + dtype.npyTypeCode
    }

    static var supportedDescriptors: String {
        DType.allCases.map { "'\(descriptor(for: $0))'" }.joined(separator: ", ")
    }

    /// Reads the header at the start of `file`; returns it and the offset of the data.
    ///
    /// - Throws: ``TensorError/npy(path:reason:)`` naming `source` and what is wrong.
    static func parse(_ file: UnsafeRawBufferPointer, source: String) throws(TensorError) -> (NPYHeader, dataOffset: Int) {
        func fail(_ reason: String) -> TensorError { .npy(path: source, reason: reason) }

        guard file.count >= magic.count, file.prefix(magic.count).elementsEqual(magic) else {
            let start = file.prefix(magic.count).map { "0x" + String($0, radix: 16) }.joined(separator: " ")
            throw fail("not an .npy file: it starts with [\(start)]; expected the magic string \\x93NUMPY")
        }
        guard file.count >= magic.count + 2 else {
            throw fail("file ends after \(file.count) bytes, inside the version; expected at least \(magic.count + 2)")
        }
        let (major, minor) = (file[magic.count], file[magic.count + 1])
        guard (1...3).contains(major), minor == 0 else {
            throw fail("unsupported .npy format version \(major).\(minor); expected 1.0, 2.0 or 3.0")
        }
        let lengthSize = major == 1 ? 2 : 4
        let headerStart = magic.count + 2 + lengthSize
        guard file.count >= headerStart else {
            throw fail("file ends after \(file.count) bytes, inside the header length; expected at least \(headerStart)")
        }
        var headerLength = 0
        for i in 0..<lengthSize { headerLength |= Int(file[magic.count + 2 + i]) << (8 * i) }
        guard headerLength <= file.count - headerStart else {
            throw fail("header length \(headerLength) runs past the end of the file: "
                + "only \(file.count - headerStart) bytes follow the length field")
        }
        let literal: PythonLiteral
        do {
            literal = try PythonLiteral.parse(Array(file[headerStart..<headerStart + headerLength]))
        } catch {
            throw fail("header is not a Python dictionary literal: \(error.message)")
        }
        let header = try NPYHeader(literal, fail: fail)
        return (header, headerStart + headerLength)
    }

    /// Interprets the header dictionary.
    init(_ literal: PythonLiteral, fail: (String) -> TensorError) throws(TensorError) {
        guard case .dictionary(let entries) = literal else {
            throw fail("header is \(literal.kind); expected a dictionary")
        }
        let expectedKeys = ["descr", "fortran_order", "shape"]
        guard entries.keys.sorted() == expectedKeys else {
            throw fail("header has keys \(entries.keys.sorted()); expected exactly \(expectedKeys)")
        }
        guard case .string(let descriptor) = entries["descr"] else {
            let kind = entries["descr"]?.kind ?? "missing"
            throw fail("'descr' is \(kind) (a structured dtype?); expected one of \(Self.supportedDescriptors)")
        }
        (dtype, isBigEndian) = try Self.interpret(descriptor, fail: fail)

        switch entries["fortran_order"] {
        case .bool(false): break
        case .bool(true):
            throw fail("'fortran_order' is True: only C-order arrays are supported; "
                + "save np.ascontiguousarray(a) instead")
        case let other:
            throw fail("'fortran_order' is \(other?.kind ?? "missing"); expected True or False")
        }

        guard case .tuple(let dimensions) = entries["shape"] else {
            throw fail("'shape' is \(entries["shape"]?.kind ?? "missing"); expected a tuple of integers")
        }
        shape = []
        for dimension in dimensions {
            guard case .integer(let size) = dimension, size >= 0 else {
                let found = if case .integer(let size) = dimension { "\(size)" } else { dimension.kind }
                throw fail("'shape' holds \(found); expected integers 0 or more")
            }
            shape.append(size)
        }
        guard let count = Tensor<UInt8>.elementCount(of: shape) else {
            throw fail("'shape' \(shape) has more elements than fit in Int")
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else {
            throw fail("'shape' \(shape) of \(dtype) has more bytes than fit in Int")
        }
        self.count = count
        self.byteCount = byteCount
    }

    /// Splits a descriptor such as `<f4` into a dtype and a byte order.
    static func interpret(_ descriptor: String, fail: (String) -> TensorError) throws(TensorError) -> (DType, Bool) {
        let unsupported = fail("dtype '\(descriptor)' is not supported; expected one of \(supportedDescriptors) "
            + "(or '>' in place of '<')")
        guard let order = descriptor.first,
              let dtype = DType.allCases.first(where: { $0.npyTypeCode == descriptor.dropFirst() })
        else { throw unsupported }
        switch order {
        case "<": return (dtype, false)
        case ">": return (dtype, dtype.byteSize > 1)
        case "|" where dtype.byteSize == 1: return (dtype, false)
        case "|", "=":
            throw fail("dtype '\(descriptor)' does not say the byte order of its \(dtype.byteSize)-byte "
                + "values; expected '<' or '>'")
        default: throw unsupported
        }
    }

    /// The header bytes, magic to newline, for data of `dtype` and `shape` in this machine's byte order.
    ///
    /// Writes version 1.0 unless the dictionary is too long for its 2-byte length, then 2.0.
    static func encode(dtype: DType, shape: [Int]) -> [UInt8] {
        let dimensions = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        let dictionary = "{'descr': '\(descriptor(for: dtype))', 'fortran_order': False, 'shape': (\(dimensions)), }"
        let text = Array(dictionary.utf8)
        // The header (text and newline, padded) must fit the 2-byte length of version 1.0.
        func paddedLength(lengthSize: Int) -> Int {
            let unpadded = magic.count + 2 + lengthSize + text.count + 1
            return text.count + 1 + (alignment - unpadded % alignment) % alignment
        }
        let lengthSize = paddedLength(lengthSize: 2) <= Int(UInt16.max) ? 2 : 4
        let headerLength = paddedLength(lengthSize: lengthSize)
        var bytes = magic + [lengthSize == 2 ? 1 : 2, 0]
        for i in 0..<lengthSize { bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i))) }
        bytes += text
        bytes += Array(repeating: UInt8(ascii: " "), count: headerLength - text.count - 1)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
