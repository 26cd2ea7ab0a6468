import ConvGeometry

/// A reasonable configuration without tuning.
extension Dp4aConv3DTemplate {
    /// A configuration for `workload` on `arch` that a tuner has not chosen: a warp-sized row of threads
    /// along x, a few rows along y, up to 4 threads and 2 chunks per thread along f, the whole filter
    /// window in shared memory when it fits. Tried in order of decreasing ambition; when none is valid
    /// (a tiny or odd workload), the first valid point of the space.
    public static func defaultConfig(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError)
        -> Dp4aConv3DConfig
    {
        let geometry = try Dp4aConv3DGeometry(workload)
        let space = try space(geometry, limits: limits(geometry, on: arch))
        let (kc, out) = (geometry.outputChunksPerGroup, geometry.output)
        let reduction = geometry.reductionExtents
        /// The split of `extent` with `thread` and `inner` as large as allowed but dividing it.
        func tile(_ extent: Int, thread: Int, inner: Int) -> Dp4aConv3DConfig.TileSplit {
            let t = largestDivisor(of: extent, atMost: thread)
            let i = largestDivisor(of: extent / t, atMost: inner)
            return .init(block: extent / (t * i), virtualThread: 1, thread: t, inner: i)
        }
        func whole(_ extent: Int, _ inner: Int) -> Dp4aConv3DConfig.ReductionSplit {
            let i = largestDivisor(of: extent, atMost: inner)
            return .init(outer: extent / i, inner: i)
        }
        var candidates: [Dp4aConv3DConfig] = []
        for (threadsX, rowsY, chunkInner, taps) in [(32, 4, 2, true), (16, 4, 2, true), (16, 2, 1, false), (8, 2, 1, false)] {
            let x = tile(out[2], thread: threadsX, inner: 1)
            let y = tile(out[1], thread: max(1, 64 / x.thread), inner: rowsY / 2)
            let f = tile(kc, thread: 4, inner: chunkInner)
            candidates.append(Dp4aConv3DConfig(
                tileF: f.withBlock(geometry.outputChunks / f.blockTile),
                tileD: tile(out[0], thread: 1, inner: 1), tileY: y, tileX: x,
                tileRC: whole(reduction[0], 4),
                tileRD: whole(reduction[1], taps ? reduction[1] : 1),
                tileRY: whole(reduction[2], taps ? reduction[2] : 1),
                tileRX: whole(reduction[3], reduction[3]),
                reorderInner: [0, 1, 2, 3], fuseYX: true, autoUnrollMaxStep: 512))
        }
        if let config = candidates.first(where: { space.contains($0) }) { return config }
        guard let point = space.validPoint(atRank: 0) else {
            throw .unsupportedWorkload(template: name, reason: "no configuration fits \(arch)")
        }
        do {
            return try space.config(at: point, as: Dp4aConv3DConfig.self)
        } catch {
            throw .space(error)
        }
    }

    /// The largest divisor of `n` that is at most `limit` (1 when `limit` is below 1).
    static func largestDivisor(of n: Int, atMost limit: Int) -> Int {
        SplitFactorizations.divisors(of: n).last { $0 <= limit } ?? 1
    }
}

extension Dp4aConv3DConfig.TileSplit {
    /// The same split with the block factor replaced, e.g. to cover all groups' chunks.
    func withBlock(_ block: Int) -> Self {
        Self(block: block, virtualThread: virtualThread, thread: thread, inner: inner)
    }
}
