extension String {
    /// The UTF-8 text in `buffer` up to its first zero byte (all of it when there is none): a C string
    /// written into a fixed-size buffer.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
