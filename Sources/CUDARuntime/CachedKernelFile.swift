/// The file format of one ``ModuleCache`` entry.
///
/// `Q3D-KERNEL 1\n`, then the key, name, arch, NVRTC version, log and CUBIN, each as an 8-byte
/// little-endian length and its bytes, then the SHA-256 of everything before it. The checksum catches
/// truncation and corruption; the key catches a file renamed or copied to another entry.
enum CachedKernelFile {
    static let magic = Array("Q3D-KERNEL 1\n".utf8)

    static func encode(_ kernel: CompiledKernel, key: String) -> [UInt8] {
        var bytes = magic
        for field in [Array(key.utf8), Array(kernel.name.utf8), Array(kernel.arch.utf8),
                      Array(kernel.nvrtcVersion.utf8), Array(kernel.log.utf8), kernel.cubin] {
            bytes += UInt64(field.count).littleEndianBytes
            bytes += field
        }
        return bytes + SHA256.digest(bytes)
    }

    /// The kernel in `bytes`, or nil unless they are a well-formed, intact file for `key`.
    static func decode(_ bytes: [UInt8], key: String) -> CompiledKernel? {
        let checksumStart = bytes.count - 32
        guard checksumStart >= magic.count, bytes.starts(with: magic),
            SHA256.digest(bytes[..<checksumStart]) == Array(bytes[checksumStart...])
        else { return nil }
        var offset = magic.count
        var fields: [ArraySlice<UInt8>] = []
        while offset < checksumStart {
            guard checksumStart - offset >= 8 else { return nil }
            let length = bytes[offset..<offset + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            offset += 8
            guard length <= UInt64(checksumStart - offset) else { return nil }
            fields.append(bytes[offset..<offset + Int(length)])
            offset += Int(length)
        }
        guard fields.count == 6, !fields[5].isEmpty else { return nil }
        let text = fields[0..<5].map { String(decoding: $0, as: UTF8.self) }
        guard text[0] == key else { return nil }
        return CompiledKernel(name: text[1], arch: text[2], cubin: Array(fields[5]), log: text[4], nvrtcVersion: text[3])
    }
}
