import Foundation

/// The path of a fixture in `Fixtures/`, found from this file's own path so that no resource
/// bundle is needed.
func fixturePath(_ name: String, file: String = #filePath) -> String {
    URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// The bytes of an `.npy` file with the given header text (padded and ended by a newline), version
/// and data.
func npyFile(header: String, major: UInt8 = 1, data: [UInt8]) -> [UInt8] {
    var text = Array(header.utf8)
    let lengthSize = major == 1 ? 2 : 4
    while (10 + (lengthSize - 2) + text.count + 1) % 64 != 0 { text.append(UInt8(ascii: " ")) }
    text.append(UInt8(ascii: "\n"))
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [major, 0]
    for i in 0..<lengthSize { bytes.append(UInt8(truncatingIfNeeded: text.count >> (8 * i))) }
    return bytes + text + data
}
