/// A kernel that measures what the int8 tensor cores of an sm_90a GPU give when nothing but `wgmma`
/// runs: every warpgroup of every block multiplies the same shared-memory operands over and over, so the
/// time is the instruction's own throughput at the clock the card holds under that load.
///
/// Each block copies `warpgroups` A tiles (64 x 32·kSteps int8 each) and one B tile (n x 32·kSteps) from
/// global memory into shared memory, in the 32-byte swizzled K-major layout of the conv3d templates,
/// then runs `iterations` rounds of `kSteps` `wgmma.mma_async.m64n<n>k32.s32.s8.s8` per warpgroup into
/// one accumulator tile, and writes that tile: warpgroup w's result is `iterations · A_w · Bᵀ` (int32,
/// wrapping), which ``expected(a:b:iterations:)`` computes on the CPU, so a run that is fast but wrong
/// cannot pass for a ceiling.
///
/// `copyRows` adds the shared-memory writes a real pipeline makes: each round every thread also
/// `cp.async`-copies its share of `copyRows` rows of 32·kSteps bytes from global memory into a scratch
/// region no `wgmma` reads (as a block tile of BM + BN rows would per k-tile), so that the rate with and
/// without them tells how far shared-memory traffic, not the tensor cores, bounds a kernel.
///
/// Thread 0 of each block records `clock64()` and `%globaltimer` around its loop; their ratio is the SM
/// clock the card ran at.
public struct WgmmaPeakKernel: Hashable, Sendable, CustomStringConvertible {
    /// The N of each `wgmma` (8 to 256, a multiple of 8).
    public let n: Int
    /// Warpgroups per block, 1 to 4.
    public let warpgroups: Int
    /// k32 steps per round (the operand tiles are 32·kSteps bytes deep), 1 to 8.
    public let kSteps: Int
    /// Rows of 32·kSteps bytes each round copies into the scratch region (0: none).
    public let copyRows: Int

    public static let name = "q3d_wgmma_peak"

    public init(n: Int, warpgroups: Int, kSteps: Int = 4, copyRows: Int = 0) throws(KernelsError) {
        guard n >= 8, n <= 256, n % 8 == 0 else {
            throw .configMismatch(template: Self.name, reason: "n \(n); expected a multiple of 8 from 8 to 256")
        }
        guard (1...4).contains(warpgroups) else {
            throw .configMismatch(template: Self.name, reason: "warpgroups \(warpgroups); expected 1 to 4")
        }
        guard (1...8).contains(kSteps) else { throw .configMismatch(template: Self.name, reason: "k steps \(kSteps); expected 1 to 8") }
        guard (0...512).contains(copyRows) else {
            throw .configMismatch(template: Self.name, reason: "copy rows \(copyRows); expected 0 to 512")
        }
        let registerLimit = min(255, 65536 / (128 * warpgroups))
        guard n / 2 + 40 <= registerLimit else {
            throw .configMismatch(
                template: Self.name,
                reason: "n \(n) with \(warpgroups) warpgroups: \(n / 2) accumulator registers per thread and the rest do not fit "
                    + "the \(registerLimit) a thread may have; expected n at most \(2 * (registerLimit - 40))")
        }
        self.n = n
        self.warpgroups = warpgroups
        self.kSteps = kSteps
        self.copyRows = copyRows
    }

    public var description: String {
        "m64n\(n)k32 x\(kSteps), \(warpgroups) warpgroup\(warpgroups == 1 ? "" : "s")" + (copyRows > 0 ? ", copying \(copyRows) rows" : "")
    }

    public var threads: Int { 128 * warpgroups }
    /// Bytes of one operand row: the reduction depth of a round.
    public var depth: Int { 32 * kSteps }
    public var aBytes: Int { warpgroups * 64 * depth }
    public var bBytes: Int { n * depth }
    public var copyBytes: Int { copyRows * depth }
    public var sharedBytes: Int { aBytes + bBytes + copyBytes }
    /// Multiply-adds of one block's round.
    public var macsPerRound: Int { warpgroups * 64 * n * depth }
    /// Output int32 elements per block: each warpgroup's 64 x n tile.
    public var outputsPerBlock: Int { warpgroups * 64 * n }

    /// The byte offset of byte `byte` of row `row` in a K-major tile of `depth`-byte rows with the 32-byte
    /// swizzle of `wgmma` (the 16-byte half of a 32-byte line is flipped on every fourth row), per k-step:
    /// k-step s of row r is the 32-byte line at (s · rows + r) · 32.
    static func swizzledOffset(row: Int, byte: Int, rows: Int) -> Int {
        let step = byte / 32, within = byte % 32
        return (step * rows + row) * 32 + ((((within >> 4) ^ (row >> 2)) & 1) << 4) + (within & 15)
    }

    public var source: String {
        let statement = WgmmaInstructionText.statement(
            blockN: n, constraint: "+r", shape: "k32.s32.s8.s8", inputs: ["\"l\"(desc_a)", "\"l\"(desc_b)"],
            operands: { "%\($0), %\($0 + 1)" })
        let copy = copyRows == 0 ? "" : """
                // The pipeline's shared-memory writes: this round's copies into the scratch region.
                for (int c = threadIdx.x; c < COPY_CHUNKS; c += THREADS)
                  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" :: "r"(scratch + 16 * c), "l"(copy_src + 16 * c) : "memory");
                asm volatile("cp.async.commit_group;" ::: "memory");
                asm volatile("cp.async.wait_group 1;" ::: "memory");

            """
        return """
            // \(Self.name): \(description). Generated by Q3D (WgmmaPeakKernel).
            typedef signed char int8_t;
            typedef unsigned char uint8_t;
            typedef unsigned int uint32_t;
            constexpr int N = \(n), WARPGROUPS = \(warpgroups), THREADS = 128 * WARPGROUPS, KSTEPS = \(kSteps);
            constexpr int DEPTH = 32 * KSTEPS, A_BYTES = WARPGROUPS * 64 * DEPTH, B_BYTES = N * DEPTH;
            \(copyRows > 0 ? "constexpr int COPY_CHUNKS = \(copyRows) * DEPTH / 16;" : "")

            __device__ __forceinline__ int swizzled(int row, int byte, int rows) {
              const int step = byte >> 5, within = byte & 31;
              return (step * rows + row) * 32 + ((((within >> 4) ^ (row >> 2)) & 1) << 4) + (within & 15);
            }
            // A K-major descriptor with the 32-byte swizzle: 8-row groups 256 bytes apart.
            __device__ __forceinline__ unsigned long long descriptor(uint32_t address) {
              return (unsigned long long)((address & 0x3FFFF) >> 4) | (1ull << 16) | ((unsigned long long)(256 >> 4) << 32) | (3ull << 62);
            }
            __device__ __forceinline__ void mma(int (&d)[N / 8][4], unsigned long long desc_a, unsigned long long desc_b) {
            \(statement.joined(separator: "\n"))
            }

            extern "C" __global__ void __launch_bounds__(THREADS, 1)
            \(Self.name)(const uint8_t* __restrict__ a, const uint8_t* __restrict__ b, const uint8_t* __restrict__ copy_src,
                           int* __restrict__ out, long long* __restrict__ clocks, int iterations) {
              extern __shared__ __align__(1024) uint8_t smem[];
              const int tid = threadIdx.x, warpgroup = tid >> 7, warp = tid >> 5, lane = tid & 31;
              for (int i = tid; i < A_BYTES; i += THREADS) {
                const int w = i / (64 * DEPTH), row = (i / DEPTH) % 64, byte = i % DEPTH;
                smem[w * 64 * DEPTH + swizzled(row, byte, 64)] = a[i];
              }
              for (int i = tid; i < B_BYTES; i += THREADS) smem[A_BYTES + swizzled(i / DEPTH, i % DEPTH, N)] = b[i];
              asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
              __syncthreads();
              uint32_t base;
              asm("{ .reg .u64 p; cvta.to.shared.u64 p, %1; cvt.u32.u64 %0, p; }" : "=r"(base) : "l"(smem));
              const uint32_t a_tile = base + warpgroup * 64 * DEPTH, b_tile = base + A_BYTES;
              const uint32_t scratch = base + A_BYTES + B_BYTES;
              (void)scratch;

              int acc[N / 8][4];
              #pragma unroll
              for (int j = 0; j < N / 8; ++j)
                #pragma unroll
                for (int r = 0; r < 4; ++r) acc[j][r] = 0;
              long long clock_start = clock64(), time_start;
              asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(time_start));
              for (int it = 0; it < iterations; ++it) {
            \(copy)    asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
                #pragma unroll
                for (int s = 0; s < KSTEPS; ++s) mma(acc, descriptor(a_tile + s * 64 * 32), descriptor(b_tile + s * N * 32));
                asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
                asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");
              }
              asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
              asm volatile("cp.async.wait_all;" ::: "memory");
              long long clock_end = clock64(), time_end;
              asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(time_end));
              // d[j][r]: row 16 (warp % 4) + lane / 4 + 8 (r / 2), column 8 j + 2 (lane % 4) + r % 2.
              int* tile = out + ((long long)blockIdx.x * WARPGROUPS + warpgroup) * 64 * N;
              #pragma unroll
              for (int j = 0; j < N / 8; ++j)
                #pragma unroll
                for (int r = 0; r < 4; ++r)
                  tile[(16 * (warp & 3) + (lane >> 2) + 8 * (r >> 1)) * N + 8 * j + 2 * (lane & 3) + (r & 1)] = acc[j][r];
              if (tid == 0) {
                clocks[4 * blockIdx.x + 0] = clock_start;
                clocks[4 * blockIdx.x + 1] = clock_end;
                clocks[4 * blockIdx.x + 2] = time_start;
                clocks[4 * blockIdx.x + 3] = time_end;
              }
            }

            """
    }

    /// What every block writes: warpgroup w's tile, row-major 64 x n, `iterations · A_w · Bᵀ` with
    /// wrapping int32 arithmetic. `a` holds the warpgroups' A tiles one after another (64 rows of `depth`
    /// bytes each), `b` the n rows of B.
    public func expected(a: [Int8], b: [Int8], iterations: Int) -> [Int32] {
        var out = [Int32](repeating: 0, count: outputsPerBlock)
        for w in 0..<warpgroups {
            for row in 0..<64 {
                let aRow = (w * 64 + row) * depth
                for column in 0..<n {
                    var sum: Int32 = 0
                    for k in 0..<depth { sum &+= Int32(a[aRow + k]) &* Int32(b[column * depth + k]) }
                    out[(w * 64 + row) * n + column] = sum &* Int32(truncatingIfNeeded: iterations)
                }
            }
        }
        return out
    }
}
