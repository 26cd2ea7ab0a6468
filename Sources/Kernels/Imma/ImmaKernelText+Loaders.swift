extension ImmaKernelText {
    /// The `cp.async` loaders: per-thread row bookkeeping, then `load_tile(kt, stage)`, which copies
    /// k-tile `kt` of the A tile (activations, gathered through the filter taps) and the B tile
    /// (weights) into stage `stage` of the ring at `ring_base`, swizzled by `q3d_tile_offset`.
    ///
    /// Where the weights are resident (a persistent kernel, ``ImmaTiling/residentWeights``) the row
    /// bookkeeping is `set_rows(m0)`, redone for every m-tile, `load_tile` copies the A tile only, and
    /// `load_weights()` copies every k-tile's B tile once, to `panel_base + kt * B_BYTES`. A stream-K
    /// kernel (``ImmaTiling/streamKBlocks``) moves from tile to tile: `set_rows(m0)` and `set_columns(n0)`.
    func loaders() -> String {
        let aGuard = tiling.inputPieces % tiling.loaderThreads == 0 ? "" : "if (row < BM) "
        let bGuard = tiling.weightPieces % tiling.loaderThreads == 0 ? "" : "if (row < BN) "
        // The copying threads: all of the block's, or a warp-specialized kernel's producer warpgroup, whose
        // thread ltid = tid - CONSUMERS counts from 0.
        let (tid, threads) = tiling.warpSpecialized ? ("ltid", "LOADERS") : ("tid", "THREADS")
        // A grouped kernel's reduction runs over its group's GROUP_C channels, from channel group * GROUP_C,
        // and its columns over the group's GROUP_K filters.
        let grouped = geometry.isGrouped
        let tapChannels = grouped ? "GROUP_C" : "IN_PITCH"
        let channel = grouped ? "group * GROUP_C + k - tap * GROUP_C" : "k - tap * IN_PITCH"
        let filterRow = grouped ? "n < GROUP_K ? (group * GROUP_K + n) * GEMM_K : -1" : "n < OUT_PITCH ? n * GEMM_K : -1"
        let resident = tiling.residentWeights
        let movesRows = resident || tiling.streamKBlocks != nil, movesColumns = tiling.streamKBlocks != nil
        let rows = """
              #pragma unroll
              for (int i = 0; i < A_ITERS; ++i) {
                const int m = m0 + \(tid) / A_PER_ROW + i * A_ROW_STEP;
                const int p = m < GEMM_M ? m : 0;
                const int x = p % OUT_W, y = (p / OUT_W) % OUT_H, z = (p / (OUT_W * OUT_H)) % OUT_D;
                const int n = p / (OUT_W * OUT_H * OUT_D);
                a_x[i] = x * STRIDE_W - PAD_W;
                a_y[i] = y * STRIDE_H - PAD_H;
                a_z[i] = m < GEMM_M ? z * STRIDE_D - PAD_D : -0x40000000;
                a_pixel[i] = ((n * IN_D + z * STRIDE_D - PAD_D) * IN_H + a_y[i]) * IN_W + a_x[i];
              }
            """
        // The row loop at the kernel's indentation, or inside set_rows one level deeper.
        let rowSetup = movesRows ? "  auto set_rows = [&](int m0) {\n" + Self.indented(rows) + "\n  };\n" : rows + "\n"
        let aCopies = """
                const int k = kt * BK + a_byte;
                const int tap = k / \(tapChannels), channel = \(channel);
                const int dz = (tap / (KER_W * KER_H)) * DIL_D, dy = ((tap / KER_W) % KER_H) * DIL_H, dx = (tap % KER_W) * DIL_W;
                const int tap_pixel = (dz * IN_H + dy) * IN_W + dx;
                const bool k_inside = k < GEMM_K;
                #pragma unroll
                for (int i = 0; i < A_ITERS; ++i) {
                  const int row = \(tid) / A_PER_ROW + i * A_ROW_STEP;
                  \(aGuard){
                    const bool inside = k_inside && (unsigned)(a_z[i] + dz) < (unsigned)IN_D
                        && (unsigned)(a_y[i] + dy) < (unsigned)IN_H && (unsigned)(a_x[i] + dx) < (unsigned)IN_W;
                    const int8_t* src = input + (inside ? (a_pixel[i] + tap_pixel) * IN_PITCH + channel : 0);
                    q3d_cp_async<A_VEC>(a_tile + q3d_tile_offset(row, a_byte), src, inside ? A_VEC : 0);
                  }
                }

            """
        let columns = """
              #pragma unroll
              for (int i = 0; i < B_ITERS; ++i) {
                const int n = n0 + \(tid) / B_PER_ROW + i * B_ROW_STEP;
                b_row[i] = \(filterRow);
              }
            """
        let bCopies = """
                const int kb = kt * BK + b_byte;
                #pragma unroll
                for (int i = 0; i < B_ITERS; ++i) {
                  const int row = \(tid) / B_PER_ROW + i * B_ROW_STEP;
                  \(bGuard){
                    const bool inside = b_row[i] >= 0 && kb < GEMM_K;
                    const int8_t* src = weight + (inside ? b_row[i] + kb : 0);
                    q3d_cp_async<B_VEC>(b_tile + q3d_tile_offset(row, b_byte), src, inside ? B_VEC : 0);
                  }
                }

            """
        let copies: String
        if resident {
            copies = """
                  // Copies the A tile of k-tile kt into stage `stage`. A reduction index k is tap k / \(tapChannels), channel
                  // k % \(tapChannels); A_VEC divides \(tapChannels), so a copy never straddles two taps. Copies outside the input
                  // or past GEMM_K read nothing (source size 0) and leave zeros.
                  auto load_tile = [&](int kt, int stage) {
                    const uint32_t a_tile = ring_base + stage * STAGE_BYTES;

                """ + aCopies + """
                  };
                  // Copies every k-tile's weights, once: the kernel keeps them.
                  auto load_weights = [&]() {
                    for (int kt = 0; kt < K_TILES; ++kt) {
                      const uint32_t b_tile = panel_base + kt * B_BYTES;

                """ + bCopies.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n") + """
                    }
                  };

                """
        } else {
            copies = """
                  // Copies k-tile kt into stage `stage`. A reduction index k is tap k / \(tapChannels), channel k % \(tapChannels);
                  // A_VEC divides \(tapChannels), so a copy never straddles two taps. Copies outside the input or past
                  // GEMM_K read nothing (source size 0) and leave zeros.
                  auto load_tile = [&](int kt, int stage) {
                    const uint32_t a_tile = ring_base + stage * STAGE_BYTES;

                """ + aCopies + """
                    const uint32_t b_tile = a_tile + A_BYTES;

                """ + bCopies + """
                  };

                """
        }
        return """
              // A loader. Each thread copies A_VEC bytes at byte a_byte of rows \(tid) / A_PER_ROW + i * A_ROW_STEP.
              // Per row it keeps the output pixel's input origin (z, y, x after stride and padding) and its pixel
              // index; a row past GEMM_M gets an origin no tap can bring inside the input.
              constexpr int A_PER_ROW = BK / A_VEC, A_PIECES = BM * A_PER_ROW;
              constexpr int A_ITERS = (A_PIECES + \(threads) - 1) / \(threads), A_ROW_STEP = \(threads) / A_PER_ROW;
              const int a_byte = (\(tid) % A_PER_ROW) * A_VEC;
              int a_pixel[A_ITERS], a_z[A_ITERS], a_y[A_ITERS], a_x[A_ITERS];

            """ + rowSetup + """

              // B loader: B_VEC bytes at byte b_byte of filter rows \(tid) / B_PER_ROW + i * B_ROW_STEP; b_row is the
              // row's offset in the weights, -1 past the filters.
              constexpr int B_PER_ROW = BK / B_VEC, B_PIECES = BN * B_PER_ROW;
              constexpr int B_ITERS = (B_PIECES + \(threads) - 1) / \(threads), B_ROW_STEP = \(threads) / B_PER_ROW;
              const int b_byte = (\(tid) % B_PER_ROW) * B_VEC;
              int b_row[B_ITERS];

            """ + (movesColumns ? "  auto set_columns = [&](int n0) {\n" + Self.indented(columns) + "\n  };\n" : columns + "\n") + "\n" + copies
    }

    /// The prologue: the first `depth` k-tiles in flight (STAGES - 1 unless the main loop keeps a stage
    /// for an operation still reading), one commit group each (empty past the end), which keeps the
    /// group count uniform for `cp.async.wait_group`.
    func prologue(depth: String = "STAGES - 1") -> String {
        """
              // Pipeline: \(depth) k-tiles in flight ahead of the one being multiplied; one commit group per
              // k-tile (empty past the end) keeps the group count uniform for cp.async.wait_group.
              #pragma unroll
              for (int s = 0; s < \(depth); ++s) {
                if (s < k_count) load_tile(k_begin + s, s);
                q3d_cp_async_commit();
              }

            """
    }
}
