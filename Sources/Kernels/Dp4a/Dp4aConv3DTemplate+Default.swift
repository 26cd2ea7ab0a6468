import ConvGeometry
import Tensors

/// The config a workload runs with before anything is tuned.
extension Dp4aConv3DTemplate {
    /// A reasonable config for `workload` on `arch`, valid by construction: a point of the space.
    ///
    /// The shape follows what makes a direct `dp4a` convolution fast: about 256 threads a block laid
    /// out along width first (coalesced loads of NCDHW4c words), each thread holding a register tile
    /// of up to 4 channel chunks x 2 output positions (32 accumulators), and the whole filter window
    /// of up to 4 input-channel chunks staged in shared memory per step. When that breaks a rule of the
    /// space (shared memory, registers, tiny extents), smaller reduction and register tiles are tried,
    /// and as a last resort the best-scoring point of a fixed-seed uniform sample of the space.
    public static func defaultConfig(
        for workload: Conv3DParameters, on arch: GPUArchitecture
    ) throws(KernelsError) -> Dp4aConv3DConfig {
        let space = try space(for: workload, on: arch)
        let geometry = try Dp4aConv3DGeometry(workload)
        for candidate in heuristicCandidates(geometry) where space.contains(candidate) {
            return candidate
        }
        var rng = SeededGenerator(seed: 0xD4A)
        var best: (score: Double, config: Dp4aConv3DConfig)?
        for point in space.sample(count: 512, using: &rng) {
            guard let config = try? space.config(at: point, as: Dp4aConv3DConfig.self) else { continue }
            let s = score(config)
            if s > (best?.score ?? -.infinity) { best = (s, config) }
        }
        guard let best else {
            throw .unsupportedWorkload(template: name, reason: "its space has no valid config on \(arch)")
        }
        return best.config
    }

    /// Candidates from the preferred shape down to smaller tiles.
    static func heuristicCandidates(_ g: Dp4aConv3DGeometry) -> [Dp4aConv3DConfig] {
        let (kc, od, oh, ow) = (g.outputExtents[0], g.outputExtents[1], g.outputExtents[2], g.outputExtents[3])
        let reduction = g.reductionExtents
        var result: [Dp4aConv3DConfig] = []
        for (threadTarget, registerScale) in [(256, 1), (128, 1), (128, 2), (64, 4), (32, 4)] {
            let tx = largestDivisor(of: ow, atMost: 16)
            let xi = largestDivisor(of: ow / tx, atMost: max(1, 2 / registerScale))
            let ty = largestDivisor(of: oh, atMost: max(1, min(threadTarget, 64) / tx))
            let tf = largestDivisor(of: kc, atMost: max(1, min(4, threadTarget / (tx * ty))))
            let fi = largestDivisor(of: kc / tf, atMost: max(1, 4 / registerScale))
            let td = largestDivisor(of: od, atMost: max(1, threadTarget / (tx * ty * tf)))
            for rcInner in [4, 2, 1] {
                for fullWindow in [true, false] {
                    let rc = largestDivisor(of: reduction[0], atMost: rcInner)
                    func inner(_ i: Int) -> Int { fullWindow ? reduction[i] : 1 }
                    result.append(Dp4aConv3DConfig(
                        tileF: split(kc, thread: tf, inner: fi), tileD: split(od, thread: td, inner: 1),
                        tileY: split(oh, thread: ty, inner: 1), tileX: split(ow, thread: tx, inner: xi),
                        tileRC: .init(outer: reduction[0] / rc, inner: rc),
                        tileRD: .init(outer: reduction[1] / inner(1), inner: inner(1)),
                        tileRY: .init(outer: reduction[2] / inner(2), inner: inner(2)),
                        tileRX: .init(outer: reduction[3] / inner(3), inner: inner(3))))
                }
            }
        }
        return result
    }

    static func split(_ extent: Int, thread: Int, inner: Int) -> Dp4aConv3DConfig.TileSplit {
        .init(block: extent / (thread * inner), virtualThread: 1, thread: thread, inner: inner)
    }

    static func largestDivisor(of n: Int, atMost limit: Int) -> Int {
        var d = max(1, min(n, limit))
        while n % d != 0 { d -= 1 }
        return d
    }

    /// Prefers about 256 threads, about 32 accumulators a thread and deep reduction steps.
    static func score(_ c: Dp4aConv3DConfig) -> Double {
        let threads = Double(c.outputSplits.map(\.thread).reduce(1, *))
        let accumulators = Double(c.outputSplits.map(\.perThread).reduce(1, *) * 4)
        let depth = Double(c.reductionSplits.map(\.inner).reduce(1, *))
        return -abs((threads / 256).logTwo) - abs((accumulators / 32).logTwo) + 0.25 * min(depth, 64).logTwo
    }
}

extension Double {
    fileprivate var logTwo: Double {
        var x = self, e = 0.0
        while x >= 2 { x /= 2; e += 1 }
        while x < 1, x > 0 { x *= 2; e -= 1 }
        return e + (x - 1)  // piecewise-linear log2: enough to rank shapes
    }
}
