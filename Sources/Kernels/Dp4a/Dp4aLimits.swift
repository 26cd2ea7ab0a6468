/// Which output axes of a configuration are set, for rules checked on partial configurations.
struct Dp4aSetAxes: Hashable, Sendable {
    var f = false, d = false, y = false, x = false

    static let all = Dp4aSetAxes(f: true, d: true, y: true, x: true)

    var isComplete: Bool { f && d && y && x }
}

/// The limits a dp4a configuration must respect on one architecture.
struct Dp4aLimits: Hashable, Sendable {
    var minThreads: Int
    var arch: GPUArchitecture
    var chunksPerGroup: Int

    /// At most this many int32 accumulators per thread.
    static let maxAccumulators = 128
    /// Registers kept for addresses, coordinates and loop counters beside the register tile.
    static let reservedRegisters = 16

    /// Registers one thread may use in a block of `threads` threads: what `__launch_bounds__` lets
    /// ptxas assume. Registers are allocated per warp, and per thread in multiples of 8.
    func registerBudget(threads: Int) -> Int {
        let warps = (threads + 31) / 32
        let perThread = arch.registersPerBlock / max(warps * 32, 32) / 8 * 8
        return min(arch.maxRegistersPerThread, perThread)
    }

    /// The first rule `use` breaks, or nil.
    ///
    /// For a partial configuration (`set` not complete; unset axes count one thread, one output, tile
    /// 1), only two kinds of rule are checked, so that a violation holds for every completion: those
    /// that can only get worse as axes are set (threads, block extents, shared memory, registers) and
    /// those whose axes are all set (a grid extent, the group rule). A prefix that passes has then
    /// settled every rule of its set axes but the thread floor, threads, block, memory and registers.
    func firstViolation(_ use: Dp4aResourceUse, set: Dp4aSetAxes) -> Dp4aConv3DViolation? {
        var first: Dp4aConv3DViolation?
        check(use, set: set) { violation in
            first = violation
            return false
        }
        return first
    }

    /// Every rule the complete configuration `use` breaks.
    func violations(_ use: Dp4aResourceUse) -> [Dp4aConv3DViolation] {
        var all: [Dp4aConv3DViolation] = []
        check(use, set: .all) { violation in
            all.append(violation)
            return true
        }
        return all
    }

    /// Whether `use` breaks no rule checked for `set` (see ``firstViolation(_:set:)``).
    @inline(__always)
    func accepts(_ use: Dp4aResourceUse, set: Dp4aSetAxes) -> Bool {
        var ok = true
        check(use, set: set) { _ in
            ok = false
            return false
        }
        return ok
    }

    /// Calls `report` with each broken rule until it returns false.
    @inline(__always)
    private func check(_ use: Dp4aResourceUse, set: Dp4aSetAxes, _ report: (Dp4aConv3DViolation) -> Bool) {
        if use.threads > arch.maxThreadsPerBlock {
            guard report(.threads(use.threads, minimum: minThreads, maximum: arch.maxThreadsPerBlock)) else { return }
        }
        let maxBlock = arch.maxBlockDimensions
        if use.block.x > maxBlock.x {
            guard report(.blockDimension(axis: "x", extent: use.block.x, limit: maxBlock.x)) else { return }
        }
        if use.block.y > maxBlock.y {
            guard report(.blockDimension(axis: "y", extent: use.block.y, limit: maxBlock.y)) else { return }
        }
        if use.block.z > maxBlock.z {
            guard report(.blockDimension(axis: "z", extent: use.block.z, limit: maxBlock.z)) else { return }
        }
        if use.sharedBytes > arch.maxStaticSharedBytesPerBlock {
            guard report(.sharedMemory(bytes: use.sharedBytes, limit: arch.maxStaticSharedBytesPerBlock)) else { return }
        }
        if use.accumulators > Self.maxAccumulators {
            guard report(.accumulators(use.accumulators, limit: Self.maxAccumulators)) else { return }
        }
        let budget = registerBudget(threads: use.threads) - Self.reservedRegisters
        if use.tileRegisters > budget {
            guard report(.registers(use.tileRegisters, budget: budget, threads: use.threads)) else { return }
        }
        if set.isComplete, use.threads < minThreads {
            guard report(.threads(use.threads, minimum: minThreads, maximum: arch.maxThreadsPerBlock)) else { return }
        }
        if set.f, chunksPerGroup % use.chunksPerBlock != 0 {
            guard report(.groupStraddle(chunksPerBlock: use.chunksPerBlock, chunksPerGroup: chunksPerGroup)) else { return }
        }
        let maxGrid = arch.maxGridDimensions
        if set.y, set.x, use.grid.x > maxGrid.x {
            guard report(.gridDimension(axis: "x", extent: use.grid.x, limit: maxGrid.x)) else { return }
        }
        if set.d, use.grid.y > maxGrid.y {
            guard report(.gridDimension(axis: "y", extent: use.grid.y, limit: maxGrid.y)) else { return }
        }
        if set.f, use.grid.z > maxGrid.z {
            guard report(.gridDimension(axis: "z", extent: use.grid.z, limit: maxGrid.z)) else { return }
        }
    }
}

/// A resource rule a dp4a configuration breaks.
public enum Dp4aConv3DViolation: Hashable, Sendable, CustomStringConvertible {
    case threads(Int, minimum: Int, maximum: Int)
    case blockDimension(axis: String, extent: Int, limit: Int)
    case gridDimension(axis: String, extent: Int, limit: Int)
    case sharedMemory(bytes: Int, limit: Int)
    case accumulators(Int, limit: Int)
    case registers(Int, budget: Int, threads: Int)
    case groupStraddle(chunksPerBlock: Int, chunksPerGroup: Int)

    public var description: String {
        switch self {
        case let .threads(n, minimum, maximum):
            return "\(n) threads per block; expected \(minimum)...\(maximum)"
        case let .blockDimension(axis, extent, limit):
            return "block extent \(extent) along \(axis) exceeds \(limit)"
        case let .gridDimension(axis, extent, limit):
            return "grid extent \(extent) along \(axis) exceeds \(limit)"
        case let .sharedMemory(bytes, limit):
            return "\(bytes) bytes of static shared memory exceed \(limit)"
        case let .accumulators(n, limit):
            return "\(n) int32 accumulators per thread exceed \(limit)"
        case let .registers(n, budget, threads):
            return "register tile of \(n) registers exceeds the \(budget) a thread can spare in a block of \(threads)"
        case let .groupStraddle(chunks, perGroup):
            return "a block of \(chunks) output chunks would straddle groups of \(perGroup) chunks"
        }
    }
}
