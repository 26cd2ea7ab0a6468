/// The inline-PTX statement of one `wgmma.mma_async` whose accumulator tile `d[N / 8][4]` is spelled out
/// register by register, shared by the shared-memory-A (`q3d_wgmma`) and register-A (`q3d_wgmma_rs`) wrappers.
enum WgmmaInstructionText {
    /// The statement's lines, from `const int scale_d` to the closing `);`. The accumulators are operands
    /// `%0 ..< %(n/2)` with `constraint` ("+r" or "+f"); `inputs` follow them (their constraints, in order),
    /// then `scale_d`, which becomes the predicate. `operands(first)` spells the instruction's A and B operands
    /// given the index of the first input, and `suffix` the immediates after the predicate.
    static func statement(blockN n: Int, constraint: String, shape: String, inputs: [String],
                          operands: (Int) -> String, suffix: String = "") -> [String] {
        let registers = n / 2
        let list = (0..<registers).map { "%\($0)" }.joined(separator: ", ")
        let predicate = registers + inputs.count
        var lines = [
            "  const int scale_d = 1;",
            "  asm volatile(",
            "      \"{\\n.reg .pred p;\\nsetp.ne.b32 p, %\(predicate), 0;\\n\"",
            "      \"wgmma.mma_async.sync.aligned.m64n\(n)\(shape) {\(list)}, \(operands(registers)), p\(suffix);\\n}\\n\"",
        ]
        let outputs = (0..<registers).map { "\"\(constraint)\"(d[\($0 / 4)][\($0 % 4)])" }
        var outputLines: [String] = []
        for start in stride(from: 0, to: outputs.count, by: 8) {
            outputLines.append("      " + outputs[start..<min(start + 8, outputs.count)].joined(separator: ", "))
        }
        lines.append("      : " + outputLines.joined(separator: ",\n").dropFirst(6))
        lines.append("      : " + (inputs + ["\"r\"(scale_d)"]).joined(separator: ", "))
        lines.append("      : \"memory\");")
        return lines
    }
}
