/// Renders one `mma.sync` imma kernel: the shared header, prelude, constants, loaders, split-K exchange
/// and epilogue of ``ImmaKernelText`` around a main loop of `ldmatrix.x4` and `mma.sync.m16n8k32`.
struct ImmaConv3DRenderer {
    let plan: ImmaConv3DPlan
    let output: OutputKind

    var config: ImmaConv3DConfig { plan.config }

    var text: ImmaKernelText {
        ImmaKernelText(
            tiling: plan.tiling, output: output, template: ImmaConv3DTemplate.name,
            version: ImmaConv3DTemplate.version, configJSON: config.json)
    }

    func render() -> KernelSource {
        let text = self.text
        let parameters = text.parameters
        let name = text.kernelName(prefix: "imma_conv3d")
        var source = text.header(summary: "int8 implicit-GEMM conv3d, mma.sync m16n8k32, cp.async pipeline", parameters: parameters)
        source += "\n" + ImmaKernelText.prelude + "\n\n" + ImmaKernelText.kernelMarker + "\n"
        source += text.constants() + warpConstants() + "\n"
        source += text.signature(name: name, parameters: parameters)
        source += text.blockSetup() + warpSetup() + text.loaders() + mainLoop()
        source += text.splitKExchange() + text.epilogue() + "}\n"
        return KernelSource(
            template: ImmaConv3DTemplate.name, templateVersion: ImmaConv3DTemplate.version, name: name, text: source,
            grid: plan.tiling.grid, block: plan.tiling.block, dynamicSharedBytes: plan.tiling.sharedBytes,
            staticSharedBytes: 0, parameters: parameters)
    }

    func warpConstants() -> String {
        """
        // Warps: WARPS_M x WARPS_N, each a WM x WN warp tile of MI x NI mma tiles of 16 x 8.
        constexpr int WARPS_M = \(config.warpsM), WARPS_N = \(config.warpsN);
        constexpr int WM = BM / WARPS_M, WN = BN / WARPS_N, MI = WM / 16, NI = WN / 8;
        static_assert(THREADS == 32 * WARPS_M * WARPS_N, "one thread per lane of every warp");
        // The accumulators acc[FRAG_ROWS][FRAG_COLS][4] of a thread: fragment (mi, ni) is the 16 x 8 tile at row
        // frag_row0 + mi * FRAG_ROW_STEP, column frag_col0 + 8 ni of the block tile.
        constexpr int FRAG_ROWS = MI, FRAG_COLS = NI, FRAG_ROW_STEP = 16;

        """
    }

    func warpSetup() -> String {
        """
              const int warp_row = (warp % WARPS_M) * WM, warp_col = (warp / WARPS_M) * WN;
              const int frag_row0 = warp_row, frag_col0 = warp_col;

            """
    }

    /// The main loop: wait for a k-tile, refill the stage freed one iteration ago, then per 32-byte k-step
    /// load the warp's A and B fragments with `ldmatrix.x4` and multiply every (mi, ni) pair: `m16n8k32`
    /// s8 into int32, or for the fp16 template (same bytes, same fragments) `m16n8k16` f16 into float.
    func mainLoop(_ accumulator: MmaAccumulator = .s32) -> String {
        """
              // ldmatrix.x4 roles: lane l addresses row l % 8 of matrix l / 8. For A the matrices are (rows 0-7,
              // k 0-15), (rows 8-15, k 0-15), (rows 0-7, k 16-31), (rows 8-15, k 16-31): registers a[0..3] of the
              // mma. For B they are (n 0-7, k 0-15), (n 0-7, k 16-31), (n 8-15, k 0-15), (n 8-15, k 16-31): b0, b1
              // of two 8-column mma tiles. The swizzle key of a row is unchanged by the +16-row steps between mma
              // tiles, so a lane's chunk for k-step ks is (2 ks) ^ key, key folding in its k-half.
              const int ld_matrix = lane >> 3;
              const int a_ld_row = warp_row + (ld_matrix & 1) * 8 + (lane & 7);
              const int a_ld_key = ((ld_matrix >> 1) ^ (a_ld_row >> SWIZZLE_SHIFT)) & (CHUNKS - 1);
              const int b_ld_row = warp_col + (ld_matrix >> 1) * 8 + (lane & 7);
              const int b_ld_key = ((ld_matrix & 1) ^ (b_ld_row >> SWIZZLE_SHIFT)) & (CHUNKS - 1);

              \(accumulator.type) acc[MI][NI][4];
              #pragma unroll
              for (int mi = 0; mi < MI; ++mi)
                #pragma unroll
                for (int ni = 0; ni < NI; ++ni)
                  #pragma unroll
                  for (int r = 0; r < 4; ++r) acc[mi][ni][r] = \(accumulator.zero);

            """ + text.prologue() + """
              int read_stage = 0, write_stage = STAGES - 1;
              for (int t = 0; t < k_count; ++t) {
                // k-tile t has landed once at most STAGES - 2 younger groups are pending; the barrier publishes
                // every thread's copies and tells all warps that write_stage (multiplied at t - 1) is free.
                q3d_cp_async_wait<STAGES - 2>();
                __syncthreads();
                if (t + STAGES - 1 < k_count) load_tile(k_begin + t + STAGES - 1, write_stage);
                q3d_cp_async_commit();

                const uint32_t a_tile = ring_base + read_stage * STAGE_BYTES;
                const uint32_t a_base = a_tile + a_ld_row * BK;
                const uint32_t b_base = a_tile + A_BYTES + b_ld_row * BK;
                #pragma unroll
                for (int ks = 0; ks < BK / 32; ++ks) {
                  uint32_t a[MI][4], b[NI / 2][4];
                  #pragma unroll
                  for (int mi = 0; mi < MI; ++mi)
                    q3d_ldmatrix_x4(a[mi], a_base + mi * 16 * BK + (((2 * ks) ^ a_ld_key) << 4));
                  #pragma unroll
                  for (int nj = 0; nj < NI / 2; ++nj)
                    q3d_ldmatrix_x4(b[nj], b_base + nj * 16 * BK + (((2 * ks) ^ b_ld_key) << 4));
                  #pragma unroll
                  for (int mi = 0; mi < MI; ++mi)
                    #pragma unroll
                    for (int ni = 0; ni < NI; ++ni)
                      \(accumulator.mma)(acc[mi][ni], a[mi], b[ni / 2][(ni & 1) * 2], b[ni / 2][(ni & 1) * 2 + 1]);
                }
                read_stage = read_stage + 1 == STAGES ? 0 : read_stage + 1;
                write_stage = write_stage + 1 == STAGES ? 0 : write_stage + 1;
              }
              q3d_cp_async_wait<0>();

            """
    }
}

/// The accumulators of a `mma.sync` kernel over the imma byte layout: int32 for s8 operands, float for
/// fp16 operands (``HmmaConv3DTemplate``).
enum MmaAccumulator {
    case s32, f32

    /// The C type of `acc`, its zero, and the prelude's multiply-accumulate.
    var type: String { self == .s32 ? "int" : "float" }
    var zero: String { self == .s32 ? "0" : "0.0f" }
    var mma: String { self == .s32 ? "q3d_mma_s8" : "q3d_mma_f16" }
}
