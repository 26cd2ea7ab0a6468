/// Renders one halo kernel: problem and box constants, the halo and weight `cp.async` loaders, the
/// `ldmatrix` fragment loads from the halo, a main loop over (channel block, tap) steps issuing
/// `wgmma` with A in registers, and the shared epilogue of ``ImmaKernelText`` with a box row -> pixel
/// map.
struct ImmaHaloConv3DRenderer {
    let plan: ImmaHaloConv3DPlan
    let output: OutputKind

    var config: ImmaHaloConv3DConfig { plan.config }

    /// The shared text parts (parameters, name, epilogue) see the box as a block tile without split-K.
    var text: ImmaKernelText {
        let tiling = ImmaTiling(
            geometry: plan.geometry, blockM: config.blockM, blockN: config.blockN, blockK: config.channelBlock,
            threads: config.threads, stages: config.stages, splitK: 1, inputVectorBytes: plan.vectorBytes, rasterGroup: 1,
            sharedAlignment: 1024)
        return ImmaKernelText(
            tiling: tiling, output: output, template: ImmaHaloConv3DTemplate.name, version: ImmaHaloConv3DTemplate.version,
            configJSON: config.json)
    }

    func render() -> KernelSource {
        let text = self.text
        let parameters = text.parameters
        let name = text.kernelName(prefix: "imma_halo_conv3d")
        var source = header(parameters: parameters)
        source += "\n" + ImmaKernelText.prelude + "\n" + ImmaWgmmaConv3DRenderer.wgmmaPrelude + "\n" + wgmmaInstruction()
        if plan.resident { source += "\n" + Self.warpgroupBarrier + "\n" }
        source += "\n" + ImmaKernelText.kernelMarker + "\n"
        source += constants() + "\n"
        source += text.signature(name: name, parameters: parameters, minBlocks: config.minBlocks)
        let epilogue = text.epilogue(pixel: "row_pixel(frag_row0 + mi * FRAG_ROW_STEP + g + 8 * h)")
        if plan.resident {
            source += residentBlockSetup() + residentLoaders() + residentMainLoop(epilogue: epilogue) + "}\n"
        } else {
            source += blockSetup() + loaders() + mainLoop() + epilogue + "}\n"
        }
        return KernelSource(
            template: ImmaHaloConv3DTemplate.name, templateVersion: ImmaHaloConv3DTemplate.version, name: name,
            text: source, grid: plan.grid, block: plan.block, dynamicSharedBytes: plan.sharedBytes, staticSharedBytes: 0,
            parameters: parameters)
    }

    func header(parameters: [KernelParameter]) -> String {
        let g = plan.geometry
        var lines = [
            "// \(ImmaHaloConv3DTemplate.name) v\(ImmaHaloConv3DTemplate.version): int8 conv3d, input halo in shared memory once per "
                + "channel block, wgmma m64n\(config.blockN)k32 with A from registers (sm_90a)",
            "// workload: \(g.workload)",
            "// config: \(config.json)",
            "// output: \(output)",
            "// gemm: M=\(g.m) N=\(g.outputPitch) K=\(g.reduction) (kd*kh*kw=\(g.taps) x Cp=\(g.inputPitch)); boxes \(plan.boxesZ)x\(plan.boxesY)x\(plan.boxesX) "
                + "per image of \(config.tileZ)x\(config.tileY)x\(config.tileX) pixels, n-tiles \(plan.nTiles), channel blocks \(plan.channelBlocks)",
            "// per block: halo \(plan.haloDepth)x\(plan.haloHeight)x\(plan.haloWidth) pixels, \(plan.haloBytesPerBlock) activation bytes, "
                + "\(plan.weightBytesPerBlock) weight bytes",
            "// launch: grid \(plan.grid), block \(plan.block), dynamic shared \(plan.sharedBytes) bytes",
            "// parameters:",
        ]
        lines += parameters.map { "//   \($0)" }
        lines.append("// Packed layouts: input [N, D, H, W, Cp], weight [Kp, kd, kh, kw, Cp], output [N, Do, Ho, Wo, Kp];")
        lines.append("// Cp = C and Kp = K rounded up to 4, padding zero (scale and bias zero past K).")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `q3d_wgmma_rs(d, a, desc_b)`: one `wgmma.mma_async.m64n<BN>k32.s32.s8.s8` whose A comes from four
    /// registers per thread, accumulating into `d[BN / 8][4]`.
    func wgmmaInstruction() -> String {
        let n = config.blockN
        let header = [
            "// d += A * B: A 64 x 32 from registers, B \(n) x 32 (K-major, at desc_b). A's fragment is, per warp w of the",
            "// warpgroup, the m16n8k32 A fragment of rows 16 w ..< 16 w + 16 (PTX ISA, \"Register Fragments and Shared Memory",
            "// Matrix Layouts\" of wgmma .s8): with g = lane / 4, t = lane % 4, a[0] row g, k 4t..4t+3; a[1] row g+8; a[2] row g,",
            "// k 16+4t..; a[3] row g+8, k 16+4t... d as in q3d_wgmma of the wgmma template. The registers of a must keep their",
            "// values until the operation has been waited for.",
            "Q3D_DEVICE void q3d_wgmma_rs(int (&d)[\(n / 8)][4], const uint32_t (&a)[4], unsigned long long desc_b) {",
        ]
        let statement = WgmmaInstructionText.statement(
            blockN: n, constraint: "+r", shape: "k32.s32.s8.s8",
            inputs: (0..<4).map { "\"r\"(a[\($0)])" } + ["\"l\"(desc_b)"],
            operands: { first in "{" + (0..<4).map { "%\(first + $0)" }.joined(separator: ", ") + "}, %\(first + 4)" })
        return (header + statement + ["}"]).joined(separator: "\n") + "\n"
    }

    func constants() -> String {
        let w = plan.workload
        let g = plan.geometry
        let mode = config.channelBlock == 128 ? 1 : (config.channelBlock == 64 ? 2 : 3)
        let shift = config.channelBlock == 128 ? 0 : (config.channelBlock == 64 ? 1 : 2)
        return """
            // Problem: input [BATCH, IN_D, IN_H, IN_W, IN_PITCH], output [BATCH, OUT_D, OUT_H, OUT_W, OUT_PITCH];
            // stride and dilation 1.
            constexpr int BATCH = \(w.batch), IN_D = \(w.input.depth), IN_H = \(w.input.height), IN_W = \(w.input.width), IN_PITCH = \(g.inputPitch);
            constexpr int OUT_D = \(w.output.depth), OUT_H = \(w.output.height), OUT_W = \(w.output.width), OUT_PITCH = \(g.outputPitch);
            constexpr int KER_D = \(w.kernel.depth), KER_H = \(w.kernel.height), KER_W = \(w.kernel.width), TAPS = KER_D * KER_H * KER_W;
            constexpr int PAD_D = \(w.padding.front), PAD_H = \(w.padding.top), PAD_W = \(w.padding.left);
            // Implicit GEMM: GEMM_M output pixels x OUT_PITCH channels, reduction GEMM_K = taps x IN_PITCH (a filter's row).
            constexpr int GEMM_M = \(g.m), GEMM_K = \(g.reduction);
            static_assert(GEMM_M == BATCH * OUT_D * OUT_H * OUT_W && GEMM_K == TAPS * IN_PITCH, "GEMM view");

            // Box: a block computes TZ x TY x TX output pixels (BM GEMM rows, x fastest) x BN channels, reading the
            // halo of HZ x HY x HX input pixels; boxes at the far edges are partial.
            constexpr int TZ = \(config.tileZ), TY = \(config.tileY), TX = \(config.tileX), BM = TZ * TY * TX, BN = \(config.blockN);
            constexpr int HZ = TZ + KER_D - 1, HY = TY + KER_H - 1, HX = TX + KER_W - 1, HALO_PIXELS = HZ * HY * HX;
            constexpr int BOXES_Z = \(plan.boxesZ), BOXES_Y = \(plan.boxesY), BOXES_X = \(plan.boxesX), N_TILES = \(plan.nTiles);
            static_assert(BOXES_Z * TZ >= OUT_D && BOXES_Y * TY >= OUT_H && BOXES_X * TX >= OUT_W, "boxes cover the output");
            // Reduction: C_BLOCKS channel blocks of CB bytes (the last zero past IN_PITCH), TAPS taps each: ITERS steps.
            constexpr int CB = \(config.channelBlock), C_BLOCKS = \(plan.channelBlocks), ITERS = C_BLOCKS * TAPS, KS = CB / 32;
            constexpr int VEC = \(plan.vectorBytes), THREADS = \(config.threads), STAGES = \(config.stages);  // cp.async width divides IN_PITCH
            static_assert(IN_PITCH % VEC == 0 && CB % VEC == 0, "copies never straddle two pixels or taps");
            \(plan.resident ? residentConstants() : ringConstants())constexpr int FRAG_ROWS = MB, FRAG_COLS = NB, FRAG_ROW_STEP = 64;

            // Rows of CB bytes (halo pixels, filters) are CHUNKS 16-byte chunks; the chunk index is XOR-ed with the row
            // bits above SWIZZLE_SHIFT, so that ldmatrix's 8 rows of one chunk fall in 8 bank groups, and so that the
            // weight tiles are wgmma's K-major layout with the CB-byte swizzle.
            constexpr int CHUNKS = CB / 16, SWIZZLE_SHIFT = \(shift);
            Q3D_DEVICE int q3d_swizzle(int row, int byte) {
              return row * CB + ((((byte >> 4) ^ (row >> SWIZZLE_SHIFT)) & (CHUNKS - 1)) << 4) + (byte & 15);
            }

            // A wgmma shared-memory matrix descriptor (PTX ISA, "Matrix Descriptor Format") of a weight tile: start
            // address >> 4 in bits 0-13, leading byte offset 1 (unused by swizzled K-major layouts), stride byte offset
            // (8 rows of CB bytes) >> 4 in bits 32-45, base offset 0 (tiles start on a swizzle atom), swizzle mode in
            // bits 62-63: 1 = 128-byte, 2 = 64-byte, 3 = 32-byte, the row width CB. A k-step ks starts 32 ks bytes in.
            constexpr unsigned long long SWIZZLE_MODE = \(mode);
            Q3D_DEVICE unsigned long long q3d_wgmma_descriptor(uint32_t address) {
              return (unsigned long long)((address & 0x3FFFF) >> 4) | (1ull << 16)
                  | ((unsigned long long)((8 * CB) >> 4) << 32) | (SWIZZLE_MODE << 62);
            }

            """
    }

    /// `row_pixel(row)`: the output pixel of box row `row` of the box at (image, z0, y0, x0), as the epilogue
    /// stores it.
    static let rowPixel = """
          // Output pixel of box row `row`, or GEMM_M (which the epilogue does not store) past the output's edge.
          auto row_pixel = [&](int row) {
            const int z = z0 + row / (TX * TY), y = y0 + (row / TX) % TY, x = x0 + row % TX;
            return z < OUT_D && y < OUT_H && x < OUT_W ? ((image * OUT_D + z) * OUT_H + y) * OUT_W + x : GEMM_M;
          };

        """

    /// The shared-memory, pipeline and warpgroup constants of the kernel whose weights stream through a ring.
    func ringConstants() -> String {
        """
        // Shared memory: the weight ring (STAGES tiles of BN rows x CB bytes) at the 1024-byte aligned base, then
        // HALO_BUFFERS halos of HALO_PIXELS rows x CB bytes (two when the next channel block loads during this one).
        constexpr int W_BYTES = BN * CB, HALO_BYTES = HALO_PIXELS * CB, HALO_BUFFERS = \(plan.haloBuffers);
        static_assert((HALO_BUFFERS == 2) == (C_BLOCKS > 1) && HALO_BUFFERS * HALO_BYTES + STAGES * W_BYTES + 1024 == \(plan.sharedBytes),
                      "the launch's dynamic shared memory");
        // Weight tiles are loaded PREFETCH steps ahead; the next channel block's halo is copied in PORTIONS pieces
        // during the current block's first PORTIONS taps, so that it has landed when the last tap needs it.
        constexpr int PREFETCH = STAGES - 2, PORTIONS = TAPS - PREFETCH;
        static_assert(PREFETCH >= 1 && (C_BLOCKS == 1 || PORTIONS >= 1), "pipeline");

        // Warpgroups: warpgroup w multiplies rows w * WGM ..< (w + 1) * WGM of the box as MB tiles of 64 x BN.
        constexpr int WARPGROUPS = \(config.warpgroups), WGM = BM / WARPGROUPS, MB = WGM / 64, NB = BN / 8;
        static_assert(THREADS == 128 * WARPGROUPS && WGM % 64 == 0, "64-row wgmma tiles per warpgroup");

        """
    }

    /// The block's box and n-tile (n-tiles of one box are neighbours in the grid, so that they share
    /// its halo in L2), the thread's place, and `row_pixel`, the epilogue's box row -> output pixel map.
    func blockSetup() -> String {
        """
              Q3D_SHARED(smem);
              const uint32_t ring_base = (q3d_shared_address(smem) + 1023) & ~1023u;  // wgmma's swizzle atoms need 1024-byte alignment
              const uint32_t halo_base = ring_base + STAGES * W_BYTES;
              const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, warpgroup = warp >> 2;

              const int box = blockIdx.x / N_TILES;
              const int n0 = (blockIdx.x - box * N_TILES) * BN;
              const int x0 = (box % BOXES_X) * TX, y0 = ((box / BOXES_X) % BOXES_Y) * TY;
              const int z0 = ((box / (BOXES_X * BOXES_Y)) % BOXES_Z) * TZ, image = box / (BOXES_X * BOXES_Y * BOXES_Z);
              const int frag_row0 = warpgroup * WGM + (warp & 3) * 16, frag_col0 = 0;

            """ + Self.rowPixel
    }

    func loaders() -> String {
        let weightGuard = (config.blockN * config.channelBlock / plan.vectorBytes) % config.threads == 0 ? "" : "if (row < BN) "
        return """
              // Halo loader: piece q (of HALO_PIECES) is VEC bytes at byte (q % PER_PIXEL) * VEC of halo pixel q / PER_PIXEL;
              // this thread's pieces are tid + i * THREADS. load_halo(cb, first, last) copies its pieces i in [first, last)
              // of channel block cb into halo buffer cb % 2; pixels outside the input (padding, or past a partial box's
              // edge) and channels past IN_PITCH read nothing (source size 0) and leave zeros.
              constexpr int PER_PIXEL = CB / VEC, HALO_PIECES = HALO_PIXELS * PER_PIXEL;
              constexpr int HALO_ITERS = (HALO_PIECES + THREADS - 1) / THREADS;
              const int8_t* image_input = input + image * (IN_D * IN_H * IN_W * IN_PITCH);
              auto load_halo = [&](int cb, int first, int last) {
                const uint32_t halo = halo_base + (cb & 1) * HALO_BYTES;
            \(haloCopies(first: "first", last: "last", thread: "tid", threads: "THREADS", origin: ("z0", "y0", "x0"), input: "image_input"))  };

              // Weight loader: step s = (channel block, tap) is the BN x CB tile of filters n0.. at reduction bytes
              // tap * IN_PITCH + cb * CB..; this thread copies VEC bytes at byte w_byte of rows tid / W_PER_ROW + i * W_ROW_STEP.
              constexpr int W_PER_ROW = CB / VEC, W_PIECES = BN * W_PER_ROW;
              constexpr int W_ITERS = (W_PIECES + THREADS - 1) / THREADS, W_ROW_STEP = THREADS / W_PER_ROW;
              const int w_byte = (tid % W_PER_ROW) * VEC;
              auto load_weights = [&](int step, int stage) {
                const int cb = step / TAPS, tap = step - cb * TAPS;
                const uint32_t tile = ring_base + stage * W_BYTES;
                const int channel = cb * CB + w_byte;
                #pragma unroll
                for (int i = 0; i < W_ITERS; ++i) {
                  const int row = tid / W_PER_ROW + i * W_ROW_STEP;
                  \(weightGuard){
                    const int n = n0 + row;
                    const bool inside = n < OUT_PITCH && channel < IN_PITCH;
                    const int8_t* src = weight + (inside ? n * GEMM_K + tap * IN_PITCH + channel : 0);
                    q3d_cp_async<VEC>(tile + q3d_swizzle(row, w_byte), src, inside ? VEC : 0);
                  }
                }
              };

            """ + fragmentRows()
    }

    /// Each lane's `ldmatrix` row of its warp's 16-row slices, as a pixel of the halo.
    func fragmentRows() -> String {
        """
              // Fragments: lane l gives ldmatrix the address of row (l % 8) + 8 ((l / 8) % 2), 16-byte chunk l / 16 of
              // a k-step, of each of its warp's 16-row slices (one per 64-row tile mb): registers 0-3 are then the
              // m16n8k32 A fragment. a_pixel[mb] is that row's box pixel as a halo pixel (for the tap at the origin).
              const int lane_row = (lane & 7) + ((lane >> 3) & 1) * 8, lane_chunk = lane >> 4;
              int a_pixel[MB];
              #pragma unroll
              for (int mb = 0; mb < MB; ++mb) {
                const int row = frag_row0 + mb * 64 + lane_row;
                a_pixel[mb] = ((row / (TX * TY)) * HY + (row / TX) % TY) * HX + row % TX;
              }

            """
    }

    /// The loop of `load_halo` over a thread's pieces i in [first, last) of channel block `cb` into `halo`:
    /// piece q = thread + i * threads is VEC bytes of halo pixel q / PER_PIXEL of the box at `origin` (its
    /// output z, y, x) in the image at `input`; padding, pixels past the input and channels past IN_PITCH
    /// read nothing and leave zeros.
    func haloCopies(first: String, last: String, thread: String, threads: String, origin: (String, String, String), input: String) -> String {
        """
            for (int i = \(first); i < \(last); ++i) {
              const int q = \(thread) + i * \(threads);
              if (q < HALO_PIECES) {
                const int pixel = q / PER_PIXEL, byte = (q - pixel * PER_PIXEL) * VEC;
                const int iz = \(origin.0) - PAD_D + pixel / (HX * HY), iy = \(origin.1) - PAD_H + (pixel / HX) % HY, ix = \(origin.2) - PAD_W + pixel % HX;
                const int channel = cb * CB + byte;
                const bool inside = (unsigned)iz < (unsigned)IN_D && (unsigned)iy < (unsigned)IN_H && (unsigned)ix < (unsigned)IN_W
                    && channel < IN_PITCH;
                const int8_t* src = \(input) + (inside ? ((iz * IN_H + iy) * IN_W + ix) * IN_PITCH + channel : 0);
                q3d_cp_async<VEC>(halo + q3d_swizzle(pixel, byte), src, inside ? VEC : 0);
              }
            }

        """
    }

    /// Loads the A fragments of step `step` from its channel block's halo into `frag` (a named array,
    /// so that every index is a compile-time constant after unrolling), as a block indented by `indent`.
    func fragmentLoad(step: String, into frag: String, indent: Int) -> String {
        // With resident weights the buffers alternate over the warpgroup's whole sequence of channel blocks.
        let buffer = plan.resident ? "((box_buffer + cb) & 1)" : "(cb & 1)"
        let lines = [
            "{",
            "  const int cb = (\(step)) / TAPS, tap = (\(step)) - cb * TAPS;",
            "  const int shift = ((tap / (KER_W * KER_H)) * HY + (tap / KER_W) % KER_H) * HX + tap % KER_W;",
            "  const uint32_t halo = halo_base + \(buffer) * HALO_BYTES;",
            "  #pragma unroll",
            "  for (int ks = 0; ks < KS; ++ks)",
            "    #pragma unroll",
            "    for (int mb = 0; mb < MB; ++mb) {",
            "      const int p = a_pixel[mb] + shift;",
            "      q3d_ldmatrix_x4(\(frag)[ks][mb], halo + q3d_swizzle(p, (2 * ks + lane_chunk) * 16));",
            "    }",
            "}",
        ]
        return lines.map { String(repeating: " ", count: indent) + $0 + "\n" }.joined()
    }

    /// One step of the main loop with `current` holding its fragments and `next` receiving the next
    /// step's once the previous step's `wgmma` (which read `next`) has been waited for.
    func step(_ step: String, current: String, next: String) -> String {
        let haloLoad = plan.channelBlocks > 1
            ? """
                  // The next channel block's halo, piece by piece during this block's first PORTIONS taps, into the
                  // buffer whose last fragments were loaded before this step's barrier.
                  const int cb = (\(step)) / TAPS, tap = (\(step)) - cb * TAPS;
                  if (cb + 1 < C_BLOCKS && tap < PORTIONS) load_halo(cb + 1, tap * HALO_ITERS / PORTIONS, (tap + 1) * HALO_ITERS / PORTIONS);

            """
            : ""
        return """
                {
                  // Step \(step)'s weights have landed for this thread once at most PREFETCH - 1 younger groups are pending;
                  // the proxy fence hands them to wgmma's async proxy, the barrier waits for every thread's copies and tells
                  // all that write_stage (step \(step) - 2's, whose wgmma were waited for) is free.
                  q3d_cp_async_wait<PREFETCH - 1>();
                  q3d_fence_proxy_async();
                  __syncthreads();
                  if ((\(step)) + PREFETCH < ITERS) load_weights((\(step)) + PREFETCH, write_stage);
            \(haloLoad)      q3d_cp_async_commit();

                  const uint32_t w_tile = ring_base + read_stage * W_BYTES;
            \(issue(current))      // The previous step's wgmma are done: their A registers (`\(next)`) and weight stage are free.
                  q3d_wgmma_wait<1>();
                  if ((\(step)) + 1 < ITERS)
            \(fragmentLoad(step: "(\(step)) + 1", into: next, indent: 6))      read_stage = read_stage + 1 == STAGES ? 0 : read_stage + 1;
                  write_stage = write_stage + 1 == STAGES ? 0 : write_stage + 1;
                }

            """
    }

    /// A step's `wgmma`s, A from the fragments `fragments`, B from the weight tile at `w_tile`, as one
    /// commit group (lines indented for a step's block).
    func issue(_ fragments: String) -> String {
        """
              q3d_wgmma_fence();
              #pragma unroll
              for (int ks = 0; ks < KS; ++ks)
                #pragma unroll
                for (int mb = 0; mb < MB; ++mb) q3d_wgmma_rs(acc[mb], \(fragments)[ks][mb], q3d_wgmma_descriptor(w_tile + ks * 32));
              q3d_wgmma_commit();

        """
    }

    /// The main loop, unrolled by two so that the double-buffered fragments are two named arrays.
    func mainLoop() -> String {
        """
              int acc[MB][NB][4];
            \(ImmaKernelText.eachAccumulator("acc[mb][j][r] = 0;", indent: 2))  uint32_t frag0[KS][MB][4], frag1[KS][MB][4];

              // Prologue: the first channel block's halo with step 0's weights, then steps 1 ..< PREFETCH; one commit group
              // per step (empty past the end) keeps the count uniform for cp.async.wait_group. Step 0's fragments are
              // loaded once the halo has landed for every thread.
              load_halo(0, 0, HALO_ITERS);
              load_weights(0, 0);
              q3d_cp_async_commit();
              #pragma unroll
              for (int s = 1; s < PREFETCH; ++s) {
                if (s < ITERS) load_weights(s, s);
                q3d_cp_async_commit();
              }
              q3d_cp_async_wait<PREFETCH - 1>();
              __syncthreads();
            \(fragmentLoad(step: "0", into: "frag0", indent: 2))
              int read_stage = 0, write_stage = PREFETCH;
              for (int it = 0; it < ITERS; it += 2) {
            \(step("it", current: "frag0", next: "frag1"))    if (it + 1 < ITERS)
            \(step("it + 1", current: "frag1", next: "frag0"))  }
              q3d_wgmma_wait<0>();
            \(ImmaKernelText.eachAccumulator("q3d_register_fence(acc[mb][j][r]);", indent: 2))  q3d_cp_async_wait<0>();

            """
    }
}
