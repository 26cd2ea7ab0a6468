/// What one output axis of a configuration contributes to its resource use.
struct Dp4aAxisTile: Hashable, Sendable {
    /// Threads along the axis.
    var thread: Int
    /// Outputs per thread along the axis (virtual threads · inner).
    var perThread: Int
    /// Outputs per block along the axis.
    var tile: Int

    static let unit = Dp4aAxisTile(thread: 1, perThread: 1, tile: 1)

    init(thread: Int, perThread: Int, tile: Int) {
        self.thread = thread
        self.perThread = perThread
        self.tile = tile
    }

    init(_ split: Dp4aConv3DConfig.TileSplit) {
        self.init(thread: split.thread, perThread: split.perThread, tile: split.blockTile)
    }
}

/// The resources a configuration asks of the GPU: what the validity rules look at. Computed the same
/// way for the space's constraints and for the renderer (through ``Dp4aTilePrefix``), so the two cannot
/// disagree.
struct Dp4aResourceUse: Hashable, Sendable {
    var threads: Int
    var block: LaunchDimensions
    var grid: LaunchDimensions
    /// Bytes of the two `__shared__` arrays: the int input window and the int4 weight tile.
    var sharedBytes: Int
    /// int32 accumulators per thread: 4 output channels per chunk times the outputs per thread.
    var accumulators: Int
    /// Registers the register tile needs: accumulators, the input words cached per reduction step,
    /// one int4 of weights.
    var tileRegisters: Int
    /// Output chunks per block.
    var chunksPerBlock: Int

    /// `f`, `d`, `y`, `x` are the output axes; `inner` the inner reduction extents. `fuseYX` nil leaves
    /// the block shape open: the block is then only known to be at least f's threads along z.
    init(
        shape: Dp4aProblemShape, f: Dp4aAxisTile, d: Dp4aAxisTile, y: Dp4aAxisTile, x: Dp4aAxisTile,
        inner: Dp4aReductionInner, fuseYX: Bool?
    ) {
        self = Dp4aTilePrefix(shape: shape, f: f, d: d, y: y, inner: inner, fuseYX: fuseYX).completed(with: x)
    }

    init(
        threads: Int, block: LaunchDimensions, grid: LaunchDimensions, sharedBytes: Int, accumulators: Int,
        tileRegisters: Int, chunksPerBlock: Int
    ) {
        self.threads = threads
        self.block = block
        self.grid = grid
        self.sharedBytes = sharedBytes
        self.accumulators = accumulators
        self.tileRegisters = tileRegisters
        self.chunksPerBlock = chunksPerBlock
    }
}

/// What every knob but the x split contributes to resource use: the space's count computes it once per
/// prefix and completes it with each x class (x is the last knob it walks).
struct Dp4aTilePrefix: Hashable, Sendable {
    var threads: Int
    /// Block extents before x: x holds Ty with fuse_yx (then x = Ty·Tx), 1 without (x = Tx).
    var block: LaunchDimensions
    /// Blocks along y, to be multiplied by the blocks along x.
    var blocksY: Int
    var gridY: Int
    var gridZ: Int
    /// Input words of the window before the width window: RC_I · WIN_D · WIN_H.
    var inputWordsPerColumn: Int
    var weightVectors: Int
    /// Outputs per thread over f, d and y.
    var perThreadF: Int
    var perThreadDY: Int
    var chunksPerBlock: Int
    /// What the width window and grid need: (WIN_W - 1) = (tile - 1)·SW + innerSpan.
    var strideW: Int
    var innerSpanW: Int
    var outputWidth: Int

    init(shape: Dp4aProblemShape, f: Dp4aAxisTile, d: Dp4aAxisTile, y: Dp4aAxisTile, inner: Dp4aReductionInner, fuseYX: Bool?) {
        threads = f.thread * d.thread * y.thread
        switch fuseYX {
        case true?: block = LaunchDimensions(x: y.thread, y: d.thread, z: f.thread)
        case false?: block = LaunchDimensions(x: 1, y: y.thread, z: f.thread * d.thread)
        case nil: block = LaunchDimensions(x: 1, y: 1, z: f.thread)
        }
        blocksY = shape.outputHeight / y.tile
        gridY = shape.outputDepth / d.tile
        gridZ = shape.batch * (shape.outputChunks / f.tile)
        let windowD = (d.tile - 1) * shape.strideD + (inner.rd - 1) * shape.dilationD + 1
        let windowH = (y.tile - 1) * shape.strideH + (inner.ry - 1) * shape.dilationH + 1
        inputWordsPerColumn = inner.rc * windowD * windowH
        weightVectors = f.tile * inner.rc * inner.rd * inner.ry * inner.rx
        perThreadF = f.perThread
        perThreadDY = d.perThread * y.perThread
        chunksPerBlock = f.tile
        strideW = shape.strideW
        innerSpanW = (inner.rx - 1) * shape.dilationW
        outputWidth = shape.outputWidth
    }

    /// The resource use once the x split is `x`.
    @inline(__always)
    func completed(with x: Dp4aAxisTile) -> Dp4aResourceUse {
        let windowW = (x.tile - 1) * strideW + innerSpanW + 1
        let dataWords = perThreadDY * x.perThread
        let accumulators = 4 * perThreadF * dataWords
        return Dp4aResourceUse(
            threads: threads * x.thread,
            block: LaunchDimensions(x: block.x * x.thread, y: block.y, z: block.z),
            grid: LaunchDimensions(x: blocksY * (outputWidth / x.tile), y: gridY, z: gridZ),
            sharedBytes: 4 * inputWordsPerColumn * windowW + 16 * weightVectors,
            accumulators: accumulators, tileRegisters: accumulators + dataWords + 4,
            chunksPerBlock: chunksPerBlock)
    }
}

/// The inner factors of the four reduction splits.
struct Dp4aReductionInner: Hashable, Sendable {
    var rc = 1, rd = 1, ry = 1, rx = 1
}

/// The scalars of a workload that resource use depends on, flat so that reading them costs nothing.
struct Dp4aProblemShape: Hashable, Sendable {
    var batch, outputChunks, outputDepth, outputHeight, outputWidth: Int
    var strideD, strideH, strideW, dilationD, dilationH, dilationW: Int

    init(_ g: Dp4aConv3DGeometry) {
        batch = g.workload.batch
        outputChunks = g.outputChunks
        (outputDepth, outputHeight, outputWidth) = (g.output[0], g.output[1], g.output[2])
        (strideD, strideH, strideW) = (g.stride[0], g.stride[1], g.stride[2])
        (dilationD, dilationH, dilationW) = (g.dilation[0], g.dilation[1], g.dilation[2])
    }
}
