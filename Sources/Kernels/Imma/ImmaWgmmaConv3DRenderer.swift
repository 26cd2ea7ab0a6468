/// Renders one `wgmma` imma kernel: the shared parts of ``ImmaKernelText`` around a main loop that
/// hands each k-tile's swizzled A and B tiles to `wgmma.mma_async` through matrix descriptors.
struct ImmaWgmmaConv3DRenderer {
    let config: ImmaWgmmaConv3DConfig
    let tiling: ImmaTiling
    let output: OutputKind
    /// int32 accumulators of `wgmma ... k32.s32.s8.s8`, or float ones of `k16.f32.f16.f16` for the fp16
    /// template (``HmmaWgmmaConv3DTemplate``), which multiplies the same bytes: a 16-element fp16 k-step
    /// is a 32-byte row slice, as a 32-element int8 one.
    var accumulator: MmaAccumulator = .s32

    var text: ImmaKernelText {
        ImmaKernelText(
            tiling: tiling, output: output, template: ImmaWgmmaConv3DTemplate.name,
            version: ImmaWgmmaConv3DTemplate.version, configJSON: config.json)
    }

    func render() -> KernelSource {
        let text = self.text
        let parameters = text.parameters
        let name = text.kernelName(prefix: "imma_wgmma_conv3d")
        var source = text.header(summary: "int8 implicit-GEMM conv3d, wgmma m64n\(config.blockN)k32 (sm_90a), cp.async pipeline", parameters: parameters)
        source += "\n" + ImmaKernelText.prelude + "\n" + Self.wgmmaPrelude + "\n" + wgmmaInstruction()
        if tiling.stagedOutput { source += "\n" + ImmaKernelText.vectorPrelude + "\n" }
        if tiling.streamKBlocks != nil { source += "\n" + ImmaKernelText.flagPrelude + "\n" }
        source += "\n" + ImmaKernelText.kernelMarker + "\n"
        source += text.constants() + warpgroupConstants() + "\n"
        source += text.signature(name: name, parameters: parameters, minBlocks: config.minBlocks)
        if tiling.residentWeights {
            source += text.persistentBlockSetup() + warpgroupSetup() + text.loaders() + persistentLoop(epilogue: text.epilogue()) + "}\n"
        } else if tiling.streamKBlocks != nil {
            source += text.streamKBlockSetup() + warpgroupSetup() + text.loaders() + streamKLoop(epilogue: text.epilogue()) + "}\n"
        } else {
            source += text.blockSetup() + warpgroupSetup() + text.loaders() + mainLoop()
            source += text.splitKExchange() + text.epilogue() + "}\n"
        }
        return KernelSource(
            template: ImmaWgmmaConv3DTemplate.name, templateVersion: ImmaWgmmaConv3DTemplate.version, name: name,
            text: source, grid: tiling.grid, block: tiling.block, dynamicSharedBytes: tiling.sharedBytes,
            staticSharedBytes: 0, parameters: parameters)
    }

    /// The fences and group operations around `wgmma` (PTX ISA, "Asynchronous Warpgroup Level Matrix
    /// Multiply-Accumulate"), each a thin `asm` wrapper.
    static let wgmmaPrelude = #"""
        // Makes this thread's shared-memory writes (its landed cp.async copies) visible to the async proxy,
        // through which wgmma reads shared memory; each writer fences before the barrier that precedes wgmma.
        Q3D_DEVICE void q3d_fence_proxy_async() { asm volatile("fence.proxy.async.shared::cta;" ::: "memory"); }
        // Orders earlier accesses of the accumulator registers before the wgmma that reads and writes them.
        Q3D_DEVICE void q3d_wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
        Q3D_DEVICE void q3d_wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
        // Waits until at most N of the warpgroup's committed wgmma groups are pending.
        template <int N>
        Q3D_DEVICE void q3d_wgmma_wait() { asm volatile("wgmma.wait_group.sync.aligned %0;" :: "n"(N) : "memory"); }
        // Ties a register to this point of the program: the compiler may not move its uses across it (the
        // accumulators change under an asynchronous wgmma, which the compiler does not see).
        Q3D_DEVICE void q3d_register_fence(int& r) { asm volatile("" : "+r"(r) :: "memory"); }
        """#

    /// The register fence for float accumulators (the fp16 template adds it to ``wgmmaPrelude``).
    static let floatRegisterFence = #"""
        Q3D_DEVICE void q3d_register_fence(float& r) { asm volatile("" : "+f"(r) :: "memory"); }
        """#

    /// `q3d_wgmma(d, desc_a, desc_b)`: one `wgmma.mma_async.m64n<BN>k32.s32.s8.s8` (or, with float
    /// accumulators, `m64n<BN>k16.f32.f16.f16`) accumulating into `d[BN / 8][4]`, whose register list
    /// the instruction spells out.
    func wgmmaInstruction() -> String {
        let n = config.blockN
        let isFloat = accumulator == .f32
        // fp16 operands take immediate scales of A and B (1: not negated) and transposes (0: K-major).
        let (shape, operands, immediates) = isFloat ? ("k16.f32.f16.f16", " fp16", ", 1, 1, 0, 0") : ("k32.s32.s8.s8", "", "")
        let k = isFloat ? 16 : 32
        let header = [
            "// d += A * B: A 64 x \(k)\(operands) (K-major, at desc_a), B \(n) x \(k) (K-major: column n of B is row n, at desc_b).",
            "// With g = lane / 4, t = lane % 4, d[j][r] is row 16 (warp % 4) + g + 8 (r / 2), column 8 j + 2 t + r % 2",
            "// of the 64 x \(n) tile. scale-d = 1: accumulate onto d.",
            "Q3D_DEVICE void q3d_wgmma(\(accumulator.type) (&d)[\(n / 8)][4], unsigned long long desc_a, unsigned long long desc_b) {",
        ]
        let statement = WgmmaInstructionText.statement(
            blockN: n, constraint: isFloat ? "+f" : "+r", shape: shape, inputs: ["\"l\"(desc_a)", "\"l\"(desc_b)"],
            operands: { "%\($0), %\($0 + 1)" }, suffix: immediates)
        return (header + statement + ["}"]).joined(separator: "\n") + "\n"
    }

    func warpgroupConstants() -> String {
        let mode = tiling.blockK == 128 ? 1 : (tiling.blockK == 64 ? 2 : 3)
        return """
            // Warpgroups: WARPGROUPS x 4 warps; warpgroup w multiplies rows w * WGM ..< (w + 1) * WGM of the tile as MB
            // wgmma tiles of 64 x BN. The accumulators acc[FRAG_ROWS][FRAG_COLS][4] of a thread: fragment (mb, j) is
            // the 16 x 8 piece at row frag_row0 + 64 mb, column 8 j of the block tile.
            constexpr int WARPGROUPS = \(config.warpgroups), WGM = BM / WARPGROUPS, MB = WGM / 64, NB = BN / 8;
            static_assert(THREADS == 128 * WARPGROUPS && WGM % 64 == 0, "64-row wgmma tiles per warpgroup");
            constexpr int FRAG_ROWS = MB, FRAG_COLS = NB, FRAG_ROW_STEP = 64;
            // wgmma groups left running across an iteration, and the k-tiles loaded ahead: a stage is refilled only
            // once the operations of the k-tile it held have been waited for.
            constexpr int IN_FLIGHT = \(config.wgmmaInFlight), PREFETCH = STAGES - 1 - IN_FLIGHT;
            static_assert(PREFETCH >= 1, "a stage to load into");

            // A wgmma shared-memory matrix descriptor (PTX ISA, "Matrix Descriptor Format"): bits 0-13 hold the start
            // address >> 4; 16-29 the leading byte offset >> 4 (unused by swizzled K-major layouts whose k-step fits
            // in a row: 1); 32-45 the stride byte offset >> 4, from one 8-row core-matrix group to the next: 8 rows
            // of BK bytes; 49-51 the base offset, 0 as every tile starts on a swizzle atom (8 rows of BK bytes); 62-63
            // the swizzle: 1 = 128-byte, 2 = 64-byte, 3 = 32-byte, the row width BK. A k-step ks starts 32 ks bytes
            // into the rows; the hardware applies the XOR to the address bits, as q3d_tile_offset did when storing.
            constexpr unsigned long long SWIZZLE_MODE = \(mode);
            Q3D_DEVICE unsigned long long q3d_wgmma_descriptor(uint32_t address) {
              return (unsigned long long)((address & 0x3FFFF) >> 4) | (1ull << 16)
                  | ((unsigned long long)((8 * BK) >> 4) << 32) | (SWIZZLE_MODE << 62);
            }

            """
    }

    func warpgroupSetup() -> String {
        """
              const int warpgroup = warp >> 2;
              const int frag_row0 = warpgroup * WGM + (warp & 3) * 16, frag_col0 = 0;

            """
    }

    /// The main loop: wait for a k-tile, fence it for the async proxy, refill the stage whose `wgmma`
    /// was waited for, then issue every k-step's `wgmma` for the warpgroup's 64-row tiles and wait until
    /// at most IN_FLIGHT groups run; after the loop, wait for all.
    func mainLoop() -> String {
        """
              \(accumulator.type) acc[MB][NB][4];
            \(ImmaKernelText.eachAccumulator("acc[mb][j][r] = \(accumulator.zero);", indent: 2))
            """ + text.prologue(depth: "PREFETCH") + kLoop(weights: "ring_base + read_stage * STAGE_BYTES + A_BYTES")
    }

    /// The loop over the block's k-tiles (and the drain after it), with the B tile of k-tile t at
    /// `weights`: in the stage, or in the resident panel.
    func kLoop(weights: String) -> String {
        """
              int read_stage = 0, write_stage = PREFETCH;
              for (int t = 0; t < k_count; ++t) {
                // k-tile t has landed for this thread once at most PREFETCH - 1 younger groups are pending; the proxy
                // fence hands its bytes to wgmma's async proxy, the barrier waits for every thread's and tells all
                // warpgroups that write_stage (the k-tile t - 1 - IN_FLIGHT's, whose wgmma has been waited for) is free.
                q3d_cp_async_wait<PREFETCH - 1>();
                q3d_fence_proxy_async();
                __syncthreads();
                if (t + PREFETCH < k_count) load_tile(k_begin + t + PREFETCH, write_stage);
                q3d_cp_async_commit();

                const uint32_t a_tile = ring_base + read_stage * STAGE_BYTES + warpgroup * WGM * BK;
                const uint32_t b_tile = \(weights);
                q3d_wgmma_fence();
                #pragma unroll
                for (int ks = 0; ks < BK / 32; ++ks)
                  #pragma unroll
                  for (int mb = 0; mb < MB; ++mb)
                    q3d_wgmma(acc[mb], q3d_wgmma_descriptor(a_tile + mb * 64 * BK + ks * 32), q3d_wgmma_descriptor(b_tile + ks * 32));
                q3d_wgmma_commit();
                q3d_wgmma_wait<IN_FLIGHT>();
                read_stage = read_stage + 1 == STAGES ? 0 : read_stage + 1;
                write_stage = write_stage + 1 == STAGES ? 0 : write_stage + 1;
              }
              q3d_wgmma_wait<0>();
            \(ImmaKernelText.eachAccumulator("q3d_register_fence(acc[mb][j][r]);", indent: 2))  q3d_cp_async_wait<0>();

            """
    }

    /// A persistent block's life: the weights of its channel tile copied once (in the first k-tile's
    /// commit group), then per m-tile the main loop over the resident weights; once a tile's
    /// operations are done and every warpgroup has left the stages, the next tile's first k-tiles are
    /// put in flight before this tile's epilogue runs, so their copies overlap its stores.
    func persistentLoop(epilogue: String) -> String {
        let indented = ImmaKernelText.indented
        return """
              \(accumulator.type) acc[MB][NB][4];
              load_weights();
              set_rows(m0);

            """ + text.prologue(depth: "PREFETCH") + """
              for (;;) {
            \(ImmaKernelText.eachAccumulator("acc[mb][j][r] = \(accumulator.zero);", indent: 4))
            """ + indented(kLoop(weights: "panel_base + (k_begin + t) * B_BYTES")) + """
                // Every warpgroup's operations have read their last stage: the ring is free.
                __syncthreads();
                const int next_tile = m_tile + M_STRIDE;
                if (next_tile < M_TILES) {
                  set_rows(next_tile * BM);

            """ + indented(indented(text.prologue(depth: "PREFETCH"))) + """
                }
                {

            """ + indented(indented(epilogue)) + """
                }
                if (next_tile >= M_TILES) break;
                m_tile = next_tile;
                m0 = m_tile * BM;
              }

            """
    }

    /// A stream-K block's life: for each tile its run of k-tiles touches, the main loop over those k-tiles;
    /// then a run that starts inside a tile publishes its partial sums (workspace slot and flag of the
    /// block), and the run that holds a tile's first k-tile adds the partial sums of the later blocks
    /// that finished the tile, then runs the epilogue. Waits only go to later blocks' first runs, which
    /// wait for nothing, so a grid that is resident at once cannot deadlock.
    func streamKLoop(epilogue: String) -> String {
        let indented = ImmaKernelText.indented
        return """
              \(accumulator.type) acc[MB][NB][4];
              constexpr int VECTORS = MB * NB;  // a partial tile: each thread's accumulators as VECTORS 4-int vectors
              int work = q3d_work_start(blockIdx.x);
              const int work_end = q3d_work_start(blockIdx.x + 1);
              while (work < work_end) {
                // This run: k-tiles [k_begin, k_begin + k_count) of tile `tile`; n-tiles vary fastest, so that
                // neighbouring blocks share activation rows in L2.
                const int tile = work / K_TILES;
                k_begin = work - tile * K_TILES;
                k_count = K_TILES - k_begin < work_end - work ? K_TILES - k_begin : work_end - work;
                m0 = (tile / N_TILES) * BM;
                n0 = (tile % N_TILES) * BN;
                set_rows(m0);
                set_columns(n0);
                // The previous run's operations, epilogue staging or partial-sum stores have left the ring.
                __syncthreads();

            """ + indented(text.prologue(depth: "PREFETCH")) + ImmaKernelText.eachAccumulator("acc[mb][j][r] = \(accumulator.zero);", indent: 4)
            + indented(kLoop(weights: "ring_base + read_stage * STAGE_BYTES + A_BYTES")) + """
                if (k_begin != 0) {
                  // A later part of the tile: publish the partial sums in this block's slot, then raise its flag for the
                  // block that holds the tile's first k-tile (the threadfence example of the CUDA guide).
                  int32_t* mine = workspace + (blockIdx.x * VECTORS * THREADS + tid) * 4;
                  #pragma unroll
                  for (int mb = 0; mb < MB; ++mb)
                    #pragma unroll
                    for (int j = 0; j < NB; ++j) q3d_store_s32x4(mine + (mb * NB + j) * THREADS * 4, acc[mb][j]);
                  __threadfence();
                  __syncthreads();
                  if (tid == 0) atomicAdd(counters + blockIdx.x, 1);
                } else {
                  // The tile's first k-tile: the blocks after this one that started their runs inside the tile
                  // multiplied the rest of it; add their partial sums as each flag goes up.
                  for (int other = blockIdx.x + 1; k_count < K_TILES && other < GRID_BLOCKS && q3d_work_start(other) < (tile + 1) * K_TILES; ++other) {
                    if (tid == 0) q3d_wait_flag(counters + other);
                    __syncthreads();
                    const int32_t* theirs = workspace + (other * VECTORS * THREADS + tid) * 4;
                    #pragma unroll
                    for (int mb = 0; mb < MB; ++mb)
                      #pragma unroll
                      for (int j = 0; j < NB; ++j) {
                        int v[4];
                        q3d_load_s32x4_cg(theirs + (mb * NB + j) * THREADS * 4, v);
                        #pragma unroll
                        for (int r = 0; r < 4; ++r) acc[mb][j][r] += v[r];
                      }
                  }
                  {

            """ + indented(indented(indented(epilogue))) + """
                  }
                }
                work += k_count;
              }

            """
    }
}
