import ConvGeometry

/// Everything the renderer derives from a workload and a configuration: tiles, windows, loop trip
/// counts and resource use. Built once, checked for consistency with the workload.
struct Dp4aConv3DPlan: Sendable {
    let geometry: Dp4aConv3DGeometry
    let config: Dp4aConv3DConfig
    /// Output splits f, d, y, x.
    let splits: [Dp4aConv3DConfig.TileSplit]
    /// Inner reduction extents rc, rd, ry, rx.
    let inner: [Int]
    /// Outer reduction extents rc, rd, ry, rx.
    let outer: [Int]
    /// Input window extents along depth, height, width.
    let windows: [Int]
    let resources: Dp4aResourceUse

    /// Throws ``KernelsError/configMismatch(template:reason:)`` when a split does not factor its axis
    /// exactly, a factor is not positive, or `reorder_inner` is not a permutation of 0..<4.
    init(workload: Conv3DParameters, config: Dp4aConv3DConfig) throws(KernelsError) {
        let geometry = try Dp4aConv3DGeometry(workload)
        func mismatch(_ reason: String) -> KernelsError {
            .configMismatch(template: Dp4aConv3DTemplate.name, reason: reason)
        }
        let outputNames = ["tile_f", "tile_d", "tile_y", "tile_x"]
        for (name, (split, extent)) in zip(outputNames, zip(config.outputSplits, geometry.outputExtents)) {
            guard split.factors.allSatisfy({ $0 > 0 }), split.factors.reduce(1, *) == extent else {
                throw mismatch("\(name) \(split.factors) must be positive factors of \(extent)")
            }
        }
        let reductionNames = ["tile_rc", "tile_rd", "tile_ry", "tile_rx"]
        for (name, (split, extent)) in zip(reductionNames, zip(config.reductionSplits, geometry.reductionExtents)) {
            guard split.outer > 0, split.inner > 0, split.outer * split.inner == extent else {
                throw mismatch("\(name) \(split.factors) must be positive factors of \(extent)")
            }
        }
        guard config.reorderInner.sorted() == [0, 1, 2, 3] else {
            throw mismatch("reorder_inner \(config.reorderInner) is not a permutation of 0..<4")
        }
        guard config.autoUnrollMaxStep >= 0 else {
            throw mismatch("auto_unroll_max_step \(config.autoUnrollMaxStep) is negative")
        }
        self.geometry = geometry
        self.config = config
        splits = config.outputSplits
        let inner = config.reductionSplits.map(\.inner)
        self.inner = inner
        outer = config.reductionSplits.map(\.outer)
        windows = (0..<3).map { geometry.window(axis: $0, tile: config.outputSplits[$0 + 1].blockTile, inner: inner[$0 + 1]) }
        let s = config.outputSplits.map(Dp4aAxisTile.init)
        resources = Dp4aResourceUse(
            shape: Dp4aProblemShape(geometry), f: s[0], d: s[1], y: s[2], x: s[3],
            inner: Dp4aReductionInner(rc: inner[0], rd: inner[1], ry: inner[2], rx: inner[3]), fuseYX: config.fuseYX)
    }

    var threads: Int { resources.threads }
    /// Words of the shared input window: RC_I · WIN_D · WIN_H · WIN_W.
    var inputTileWords: Int { inner[0] * windows.reduce(1, *) }
    /// int4 vectors of the shared weight tile: TILE_F · RC_I · RD_I · RY_I · RX_I.
    var weightTileVectors: Int { splits[0].blockTile * inner.reduce(1, *) }
    /// Input words one thread reads per inner reduction step: the spatial outputs it holds.
    var dataWords: Int { splits[1].perThread * splits[2].perThread * splits[3].perThread }
    /// Iterations of the cooperative loop that loads `count` elements with every thread of the block.
    func loadIterations(_ count: Int) -> Int { (count + threads - 1) / threads }

    /// Total trip count of the inner reduction loops from permuted position `depth` inward, counting
    /// each `dp4a` of the register tile as one step.
    func innerSteps(from depth: Int) -> Int {
        config.reorderInner[depth...].reduce(resources.accumulators) { $0 * inner[$1] }
    }

    /// Total trip count of the outer reduction loops from permuted position `depth` inward: each
    /// outer iteration loads both tiles and runs the inner loops.
    func outerSteps(from depth: Int) -> Int {
        let body = loadIterations(inputTileWords) + loadIterations(weightTileVectors) + innerSteps(from: 0)
        return config.reorderInner[depth...].reduce(body) { $0 * outer[$1] }
    }

    /// The pragma before a cooperative load loop, whatever the unroll knob: up to 4 loads in flight per
    /// thread. A longer loop is unrolled only by 4 because fully unrolled copies would be invariant in
    /// the reduction loops around them, and the compiler would hoist their index arithmetic into
    /// registers (hundreds of them for a large window: spills, and minutes of ptxas).
    func loadUnrollPragma(iterations: Int) -> String {
        iterations <= Self.loadUnroll ? "#pragma unroll" : "#pragma unroll \(Self.loadUnroll)"
    }

    static let loadUnroll = 4

    /// The pragma before a reduction loop of `steps` total trip count under `auto_unroll_max_step`:
    /// none when the knob is 0, full unrolling within the step budget, no unrolling past it.
    func unrollPragma(steps: Int) -> String? {
        let budget = config.autoUnrollMaxStep
        guard budget > 0 else { return nil }
        return steps <= budget ? "#pragma unroll" : "#pragma unroll 1"
    }
}
