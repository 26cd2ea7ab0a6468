/// FNV-1a, 64 bits: a hash that is the same in every process and on every machine (Swift's `Hasher` is
/// seeded per process), for names and cache keys derived from rendered kernels.
enum StableHash {
    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The low `digits` hex digits of the hash, zero-padded.
    static func hex(_ text: String, digits: Int = 8) -> String {
        let value = fnv1a64(text)
        let full = String(value, radix: 16)
        let padded = String(repeating: "0", count: max(0, 16 - full.count)) + full
        return String(padded.suffix(digits))
    }
}
