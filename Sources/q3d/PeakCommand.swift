import ArgumentParser
import CUDARuntime
import Engine
import Kernels

/// `q3d peak`: the int8 `wgmma` throughput of GPU 0 and the clock it holds, for every combination of
/// the given shapes — the ceiling the conv3d kernels are judged against, measured rather than quoted.
struct PeakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "Measure the int8 wgmma throughput and SM clock of GPU 0 (sm_90a).",
        discussion: """
            Each kernel keeps its operands in shared memory and runs wgmma m64nNk32 in a loop; its result is \
            checked exactly against the CPU. --copy-rows adds a pipeline's shared-memory writes (cp.async from \
            global memory) each round.
            """)

    @Option(help: "Comma-separated wgmma N values (8 to 256).")
    var n = "64,128,256"
    @Option(help: "Comma-separated warpgroups per block (1 to 4).")
    var warpgroups = "2"
    @Option(help: "Comma-separated rows copied into shared memory per round (0: none).")
    var copyRows = "0"
    @Option(help: "k32 steps per round.")
    var kSteps = 4
    @Option(help: "Blocks per SM.")
    var blocksPerSm = 1
    @Option(help: "Rounds per launch.")
    var iterations = 20_000
    @Option(help: "Timed launches (median reported).")
    var launches = 20
    @Flag(help: "Also measure with all-zero operands.")
    var zeros = false
    @Flag(help: "Print JSON lines instead of a table.")
    var json = false

    func run() throws {
        func list(_ text: String, _ name: String) throws -> [Int] {
            try text.split(separator: ",").map { item in
                guard let value = Int(item.trimmingPrefix(" ")) else {
                    throw ValidationError("--\(name) \(text): '\(item)' is not an integer; expected comma-separated integers")
                }
                return value
            }
        }
        let kernels = try list(n, "n").flatMap { n in
            try list(warpgroups, "warpgroups").flatMap { w in
                try list(copyRows, "copy-rows").map { rows in
                    try WgmmaPeakKernel(n: n, warpgroups: w, kSteps: kSteps, copyRows: rows)
                }
            }
        }
        let context = try CUDAContext(ordinal: 0)
        let peak = try WgmmaPeak(context: context)
        let variants = kernels.flatMap { kernel in (zeros ? [false, true] : [false]).map { (kernel, $0) } }
        var results: [WgmmaPeak.Result] = []
        for (index, (kernel, zeroData)) in variants.enumerated() {
            Terminal.progress("[\(index + 1)/\(variants.count)] \(kernel)\(zeroData ? ", zeros" : "")")
            let result = try peak.measure(
                kernel, blocksPerSM: blocksPerSm, iterations: iterations, launches: launches, zeros: zeroData)
            results.append(result)
            if json { print(try JSONText.encode(result)) }
        }
        Terminal.progress("", done: true)
        let failed = results.filter { $0.mismatches > 0 || $0.unwritten > 0 }
        if !json {
            let rows = results.map { r in
                [
                    r.kernel, r.data, "\(r.blocks)", "\(r.registers)", Format.fixed(r.medianMilliseconds, 3),
                    Format.fixed(r.tops, 0), Format.fixed(r.clockMHz, 0), Format.fixed(r.macsPerSMClock, 0),
                    r.mismatches + r.unwritten == 0 ? "exact" : "\(r.mismatches) wrong, \(r.unwritten) unwritten",
                ]
            }
            print(Format.table(
                ["kernel", "data", "blocks", "regs", "ms", "TOPS", "SM MHz", "MAC/SM/clk", "check"], rows))
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
