import FoundationEssentials

/// Reads and writes NumPy `.npy` files: how Q3D exchanges tensors with PyTorch and NumPy.
///
/// Reading accepts format versions 1.0, 2.0 and 3.0, the dtypes `<f2`, `<f4`, `|i1`, `|u1`, `<i4` and
/// `<i8` (`<i1` and `<u1` too), and C-order data. Big-endian files (`>f4`, …) are converted to this
/// machine's byte order as they are read. Fortran-order files, other dtypes, and files whose data is
/// shorter or longer than their shape throw ``TensorError/npy(path:reason:)`` saying so; no file,
/// however corrupt, makes the reader crash or allocate more than its data needs.
///
/// Writing produces version 1.0 (2.0 when the header needs it) in this machine's byte order, the
/// header padded so that the data starts at a multiple of 64 bytes, as `numpy.save` does. The
/// ``Layout`` of a tensor is not stored: a tensor read back has a nil layout.
///
/// ```swift
/// let x = try NPY.read(path: "clip.npy", as: Float.self)
/// try NPY.write(x.map { Int8(clamping: Int(($0 * 64).rounded())) }, to: "clip_q.npy")
/// ```
public enum NPY {
    /// Reads the `.npy` file at `path`, whatever its dtype.
    ///
    /// - Throws: ``TensorError/file(path:reason:)`` when the file cannot be read,
    ///   ``TensorError/npy(path:reason:)`` when it is not a valid, supported `.npy` file.
    public static func read(path: String) throws(TensorError) -> AnyTensor {
        let data = try contents(of: path)
        return try data.withUnsafeBytes { raw in
            Result { () throws(TensorError) in try decode(raw, source: path) }
        }.get()
    }

    /// Reads the `.npy` file at `path`, which must hold elements of type `Element`.
    ///
    /// - Throws: as ``read(path:)``, and ``TensorError/dtypeMismatch(expected:actual:)``.
    public static func read<Element: TensorElement>(
        path: String, as type: Element.Type = Element.self
    ) throws(TensorError) -> Tensor<Element> {
        try read(path: path).tensor(of: type)
    }

    /// Decodes the bytes of an `.npy` file.
    ///
    /// - Parameter source: what error messages call the bytes.
    /// - Throws: ``TensorError/npy(path:reason:)`` when they are not a valid, supported `.npy` file.
    public static func read(bytes: [UInt8], source: String = "<npy bytes>") throws(TensorError) -> AnyTensor {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(TensorError) in try decode(raw, source: source) }
        }.get()
    }

    /// The bytes of an `.npy` file holding `tensor`.
    public static func encode<Element: TensorElement>(_ tensor: Tensor<Element>) -> [UInt8] {
        var bytes = NPYHeader.encode(dtype: Element.dtype, shape: tensor.shape)
        tensor.elements.withUnsafeBytes { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// The bytes of an `.npy` file holding `tensor`.
    public static func encode(_ tensor: AnyTensor) -> [UInt8] {
        switch tensor {
        case .float32(let t): encode(t)
        case .float16(let t): encode(t)
        case .int8(let t): encode(t)
        case .uint8(let t): encode(t)
        case .int32(let t): encode(t)
        case .int64(let t): encode(t)
        }
    }

    /// Writes `tensor` to `path` as an `.npy` file, replacing any file there.
    ///
    /// The file is written to a temporary name and renamed, so a reader never sees half of it.
    /// - Throws: ``TensorError/file(path:reason:)`` when it cannot be written.
    public static func write<Element: TensorElement>(_ tensor: Tensor<Element>, to path: String) throws(TensorError) {
        try write(bytes: encode(tensor), to: path)
    }

    /// Writes `tensor` to `path` as an `.npy` file, replacing any file there.
    ///
    /// - Throws: ``TensorError/file(path:reason:)`` when it cannot be written.
    public static func write(_ tensor: AnyTensor, to path: String) throws(TensorError) {
        try write(bytes: encode(tensor), to: path)
    }

    private static func contents(of path: String) throws(TensorError) -> Data {
        var isDirectory = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .file(path: path, reason: "no such file")
        }
        guard !isDirectory else { throw .file(path: path, reason: "is a directory, expected an .npy file") }
        do {
            return try Data(contentsOf: URL(filePath: path))
        } catch {
            throw .file(path: path, reason: "cannot be read: \(error)")
        }
    }

    private static func write(bytes: [UInt8], to path: String) throws(TensorError) {
        do {
            try Data(bytes).write(to: URL(filePath: path), options: .atomic)
        } catch {
            throw .file(path: path, reason: "cannot be written: \(error)")
        }
    }

    private static func decode(_ file: UnsafeRawBufferPointer, source: String) throws(TensorError) -> AnyTensor {
        let (header, dataOffset) = try NPYHeader.parse(file, source: source)
        let available = file.count - dataOffset
        guard available == header.byteCount else {
            let problem = available < header.byteCount ? "truncated" : "longer than its shape"
            throw .npy(path: source, reason: "data is \(problem): shape \(header.shape) of \(header.dtype) needs "
                + "\(header.byteCount) bytes after the \(dataOffset)-byte header, the file has \(available)")
        }
        let data = UnsafeRawBufferPointer(rebasing: file[dataOffset...])
        let swap = header.isBigEndian != NPYHeader.hostIsBigEndian
        switch header.dtype {
        case .float32: return .float32(tensor(data, header, swap: swap, word: UInt32.self))
        case .float16: return .float16(tensor(data, header, swap: swap, word: UInt16.self))
        case .int8: return .int8(tensor(data, header, swap: false, word: UInt8.self))
        case .uint8: return .uint8(tensor(data, header, swap: false, word: UInt8.self))
        case .int32: return .int32(tensor(data, header, swap: swap, word: UInt32.self))
        case .int64: return .int64(tensor(data, header, swap: swap, word: UInt64.self))
        }
    }

    /// Copies `data` into a new tensor, reversing the bytes of each element when `swap` is set.
    /// `Word` is the unsigned integer as wide as `Element`.
    private static func tensor<Element: TensorElement, Word: FixedWidthInteger>(
        _ data: UnsafeRawBufferPointer, _ header: NPYHeader, swap: Bool, word: Word.Type
    ) -> Tensor<Element> {
        let elements = [Element](unsafeUninitializedCapacity: header.count) { buffer, initialized in
            let bytes = UnsafeMutableRawBufferPointer(buffer)
            bytes.copyMemory(from: data)
            if swap {
                bytes.withMemoryRebound(to: Word.self) { words in
                    for i in words.indices { words[i] = words[i].byteSwapped }
                }
            }
            initialized = header.count
        }
        return Tensor(validShape: header.shape, layout: nil, elements: elements)
    }
}
