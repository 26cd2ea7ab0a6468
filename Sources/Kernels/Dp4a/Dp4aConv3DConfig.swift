/// The tile choices of the dp4a conv3d template (``Dp4aConv3DTemplate``): the knobs of TVM's
/// `conv3d_NCDHWc_int8` AutoTVM template, each with its own axis.
///
/// Output axes are split four ways, outermost first — block, virtual thread, thread, inner:
/// `tile_f` over the output-channel chunks Kc = ceil(K/4) (of one group when groups > 1 — then a block
/// never straddles two groups), `tile_d`, `tile_y`, `tile_x` over Do, Ho, Wo. Reduction axes are split two
/// ways, outer and inner: `tile_rc` over the input-channel chunks ceil(C/groups/4), `tile_rd`, `tile_ry`,
/// `tile_rx` over kd, kh, kw. A block computes the output tile of extent virtual · thread · inner along each
/// axis; it stages the input window and the weights that tile needs for one iteration of the outer
/// reduction loops in shared memory.
public struct Dp4aConv3DConfig: Hashable, Codable, Sendable, CustomStringConvertible {
    /// A 4-way split of an output axis; `block · virtualThread · thread · inner` is the axis extent.
    public struct TileSplit: Hashable, Codable, Sendable, CustomStringConvertible {
        public var block: Int
        public var virtualThread: Int
        public var thread: Int
        public var inner: Int

        public init(block: Int, virtualThread: Int, thread: Int, inner: Int) {
            self.block = block
            self.virtualThread = virtualThread
            self.thread = thread
            self.inner = inner
        }

        /// From `[block, virtualThread, thread, inner]`; nil unless there are four factors.
        public init?(_ factors: [Int]) {
            guard factors.count == 4 else { return nil }
            self.init(block: factors[0], virtualThread: factors[1], thread: factors[2], inner: factors[3])
        }

        public var factors: [Int] { [block, virtualThread, thread, inner] }
        /// Outputs a block covers along the axis.
        public var blockTile: Int { virtualThread * thread * inner }
        /// Outputs one thread holds along the axis.
        public var perThread: Int { virtualThread * inner }
        public var description: String { factors.map(String.init).joined(separator: "x") }

        public init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            self.init(block: try c.decode(Int.self), virtualThread: try c.decode(Int.self),
                      thread: try c.decode(Int.self), inner: try c.decode(Int.self))
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(contentsOf: factors)
        }
    }

    /// A 2-way split of a reduction axis; `outer · inner` is the axis extent.
    public struct ReductionSplit: Hashable, Codable, Sendable, CustomStringConvertible {
        public var outer: Int
        public var inner: Int

        public init(outer: Int, inner: Int) {
            self.outer = outer
            self.inner = inner
        }

        /// From `[outer, inner]`; nil unless there are two factors.
        public init?(_ factors: [Int]) {
            guard factors.count == 2 else { return nil }
            self.init(outer: factors[0], inner: factors[1])
        }

        public var factors: [Int] { [outer, inner] }
        public var description: String { "\(outer)x\(inner)" }

        public init(from decoder: any Decoder) throws {
            var c = try decoder.unkeyedContainer()
            self.init(outer: try c.decode(Int.self), inner: try c.decode(Int.self))
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(contentsOf: factors)
        }
    }

    public var tileF: TileSplit
    public var tileD: TileSplit
    public var tileY: TileSplit
    public var tileX: TileSplit
    public var tileRC: ReductionSplit
    public var tileRD: ReductionSplit
    public var tileRY: ReductionSplit
    public var tileRX: ReductionSplit
    /// A permutation of the outer reduction loops `[rc, rd, ry, rx]` (`[2, 0, 1, 3]`: ry outermost,
    /// then rc, rd, rx); the inner loops follow the same order. Shared tiles are loaded inside the last
    /// outer loop of the permutation.
    public var reorderInner: [Int]
    /// Thread binding: true puts f on threadIdx.z, d on .y and y·x fused on .x; false puts f·d on .z,
    /// y on .y and x on .x.
    public var fuseYX: Bool
    /// 0: no unroll pragmas; otherwise loops whose total trip count is at most this are fully unrolled
    /// and the others are kept rolled.
    public var autoUnrollMaxStep: Int

    public init(
        tileF: TileSplit, tileD: TileSplit, tileY: TileSplit, tileX: TileSplit,
        tileRC: ReductionSplit, tileRD: ReductionSplit, tileRY: ReductionSplit, tileRX: ReductionSplit,
        reorderInner: [Int] = [0, 1, 2, 3], fuseYX: Bool = true, autoUnrollMaxStep: Int = 512
    ) {
        self.tileF = tileF
        self.tileD = tileD
        self.tileY = tileY
        self.tileX = tileX
        self.tileRC = tileRC
        self.tileRD = tileRD
        self.tileRY = tileRY
        self.tileRX = tileRX
        self.reorderInner = reorderInner
        self.fuseYX = fuseYX
        self.autoUnrollMaxStep = autoUnrollMaxStep
    }

    /// The four output splits in axis order f, d, y, x.
    public var outputSplits: [TileSplit] { [tileF, tileD, tileY, tileX] }
    /// The four reduction splits in axis order rc, rd, ry, rx.
    public var reductionSplits: [ReductionSplit] { [tileRC, tileRD, tileRY, tileRX] }

    /// Knob names, also the JSON keys.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case tileF = "tile_f", tileD = "tile_d", tileY = "tile_y", tileX = "tile_x"
        case tileRC = "tile_rc", tileRD = "tile_rd", tileRY = "tile_ry", tileRX = "tile_rx"
        case reorderInner = "reorder_inner", fuseYX = "fuse_yx", autoUnrollMaxStep = "auto_unroll_max_step"
    }

    public var description: String {
        "f \(tileF) d \(tileD) y \(tileY) x \(tileX) rc \(tileRC) rd \(tileRD) ry \(tileRY) rx \(tileRX) "
            + "order \(reorderInner.map(String.init).joined()) fuse_yx \(fuseYX ? 1 : 0) unroll \(autoUnrollMaxStep)"
    }
}
