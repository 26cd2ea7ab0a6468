extension ImmaConv3DRenderer {
    /// The kernel: block rasterization, the two tile loaders, the pipelined main loop, then the split-K
    /// exchange and the epilogue.
    func kernel(name: String, parameters: [KernelParameter]) -> String {
        let signature = parameters.map(Self.declaration).joined(separator: ", ")
        let aGuard = plan.inputPieces % plan.threads == 0 ? "" : "if (row < BM) "
        let bGuard = plan.weightPieces % plan.threads == 0 ? "" : "if (row < BN) "
        return """
            extern "C" __global__ void __launch_bounds__(THREADS, 1)
            \(name)(\(signature)) {
              Q3D_SHARED(smem);
              const uint32_t smem_base = q3d_shared_address(smem);
              const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
              const int warp_row = (warp % WARPS_M) * WM, warp_col = (warp / WARPS_M) * WN;

              // Rasterization: blocks walk panels of RASTER m-tiles, all n-tiles of a panel before the next, so
              // that the blocks running together share activation and weight tiles in L2.
              const int panel = blockIdx.x / (RASTER * N_TILES);
              const int in_panel = blockIdx.x - panel * (RASTER * N_TILES);
              const int panel_rows = M_TILES - panel * RASTER < RASTER ? M_TILES - panel * RASTER : RASTER;
              const int m0 = (panel * RASTER + in_panel % panel_rows) * BM;
              const int n0 = (in_panel / panel_rows) * BN;
              // Split-K: this block reduces k-tiles [k_begin, k_begin + k_count).
              const int split = blockIdx.y;
              const int k_begin = split * K_TILES / SPLIT_K;
              const int k_count = (split + 1) * K_TILES / SPLIT_K - k_begin;

              // A loader. Each thread copies A_VEC bytes at byte a_byte of rows tid / A_PER_ROW + i * A_ROW_STEP.
              // Per row it keeps the output pixel's input origin (z, y, x after stride and padding) and its pixel
              // index; a row past GEMM_M gets an origin no tap can bring inside the input.
              constexpr int A_PER_ROW = BK / A_VEC, A_PIECES = BM * A_PER_ROW;
              constexpr int A_ITERS = (A_PIECES + THREADS - 1) / THREADS, A_ROW_STEP = THREADS / A_PER_ROW;
              const int a_byte = (tid % A_PER_ROW) * A_VEC;
              int a_pixel[A_ITERS], a_z[A_ITERS], a_y[A_ITERS], a_x[A_ITERS];
              #pragma unroll
              for (int i = 0; i < A_ITERS; ++i) {
                const int m = m0 + tid / A_PER_ROW + i * A_ROW_STEP;
                const int p = m < GEMM_M ? m : 0;
                const int x = p % OUT_W, y = (p / OUT_W) % OUT_H, z = (p / (OUT_W * OUT_H)) % OUT_D;
                const int n = p / (OUT_W * OUT_H * OUT_D);
                a_x[i] = x * STRIDE_W - PAD_W;
                a_y[i] = y * STRIDE_H - PAD_H;
                a_z[i] = m < GEMM_M ? z * STRIDE_D - PAD_D : -0x40000000;
                a_pixel[i] = ((n * IN_D + z * STRIDE_D - PAD_D) * IN_H + a_y[i]) * IN_W + a_x[i];
              }

              // B loader: B_VEC bytes at byte b_byte of filter rows tid / B_PER_ROW + i * B_ROW_STEP; b_row is the
              // row's offset in the weights, -1 past the filters.
              constexpr int B_PER_ROW = BK / B_VEC, B_PIECES = BN * B_PER_ROW;
              constexpr int B_ITERS = (B_PIECES + THREADS - 1) / THREADS, B_ROW_STEP = THREADS / B_PER_ROW;
              const int b_byte = (tid % B_PER_ROW) * B_VEC;
              int b_row[B_ITERS];
              #pragma unroll
              for (int i = 0; i < B_ITERS; ++i) {
                const int n = n0 + tid / B_PER_ROW + i * B_ROW_STEP;
                b_row[i] = n < OUT_PITCH ? n * GEMM_K : -1;
              }

              // Copies k-tile kt into stage `stage`. A reduction index k is tap k / IN_PITCH, channel k % IN_PITCH;
              // A_VEC divides IN_PITCH, so a copy never straddles two taps. Copies outside the input or past
              // GEMM_K read nothing (source size 0) and leave zeros.
              auto load_tile = [&](int kt, int stage) {
                const uint32_t a_tile = smem_base + stage * STAGE_BYTES;
                const int k = kt * BK + a_byte;
                const int tap = k / IN_PITCH, channel = k - tap * IN_PITCH;
                const int dz = (tap / (KER_W * KER_H)) * DIL_D, dy = ((tap / KER_W) % KER_H) * DIL_H, dx = (tap % KER_W) * DIL_W;
                const int tap_pixel = (dz * IN_H + dy) * IN_W + dx;
                const bool k_inside = k < GEMM_K;
                #pragma unroll
                for (int i = 0; i < A_ITERS; ++i) {
                  const int row = tid / A_PER_ROW + i * A_ROW_STEP;
                  \(aGuard){
                    const bool inside = k_inside && (unsigned)(a_z[i] + dz) < (unsigned)IN_D
                        && (unsigned)(a_y[i] + dy) < (unsigned)IN_H && (unsigned)(a_x[i] + dx) < (unsigned)IN_W;
                    const int8_t* src = input + (inside ? (a_pixel[i] + tap_pixel) * IN_PITCH + channel : 0);
                    q3d_cp_async<A_VEC>(a_tile + q3d_tile_offset(row, a_byte), src, inside ? A_VEC : 0);
                  }
                }
                const uint32_t b_tile = a_tile + A_BYTES;
                const int kb = kt * BK + b_byte;
                #pragma unroll
                for (int i = 0; i < B_ITERS; ++i) {
                  const int row = tid / B_PER_ROW + i * B_ROW_STEP;
                  \(bGuard){
                    const bool inside = b_row[i] >= 0 && kb < GEMM_K;
                    const int8_t* src = weight + (inside ? b_row[i] + kb : 0);
                    q3d_cp_async<B_VEC>(b_tile + q3d_tile_offset(row, b_byte), src, inside ? B_VEC : 0);
                  }
                }
              };

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

              int acc[MI][NI][4];
              #pragma unroll
              for (int mi = 0; mi < MI; ++mi)
                #pragma unroll
                for (int ni = 0; ni < NI; ++ni)
                  #pragma unroll
                  for (int r = 0; r < 4; ++r) acc[mi][ni][r] = 0;

              // Pipeline: STAGES - 1 k-tiles in flight ahead of the one being multiplied; one commit group per
              // k-tile (empty past the end) keeps the group count uniform for cp.async.wait_group.
              #pragma unroll
              for (int s = 0; s < STAGES - 1; ++s) {
                if (s < k_count) load_tile(k_begin + s, s);
                q3d_cp_async_commit();
              }
              int read_stage = 0, write_stage = STAGES - 1;
              for (int t = 0; t < k_count; ++t) {
                // k-tile t has landed once at most STAGES - 2 younger groups are pending; the barrier publishes
                // every thread's copies and tells all warps that write_stage (multiplied at t - 1) is free.
                q3d_cp_async_wait<STAGES - 2>();
                __syncthreads();
                if (t + STAGES - 1 < k_count) load_tile(k_begin + t + STAGES - 1, write_stage);
                q3d_cp_async_commit();

                const uint32_t a_tile = smem_base + read_stage * STAGE_BYTES;
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
                      q3d_mma_s8(acc[mi][ni], a[mi], b[ni / 2][(ni & 1) * 2], b[ni / 2][(ni & 1) * 2 + 1]);
                }
                read_stage = read_stage + 1 == STAGES ? 0 : read_stage + 1;
                write_stage = write_stage + 1 == STAGES ? 0 : write_stage + 1;
              }
              q3d_cp_async_wait<0>();
            \(splitKExchange())
            \(epilogue())
            }

            """
    }

    /// The C declaration of a parameter.
    static func declaration(_ parameter: KernelParameter) -> String {
        switch parameter.kind {
        case let .buffer(element, _, _, writable):
            let type: String
            switch element {
            case .int8: type = "int8_t"
            case .int32: type = "int32_t"
            case .float32: type = "float"
            case .uint8: type = "uint8_t"
            case .float16: type = "uint16_t"
            case .int64: type = "long long"
            }
            // Inputs are read-only and never alias what the kernel writes; the output may alias the residual.
            let restrict = writable || parameter.role == .residual ? "" : " __restrict__"
            return (writable ? "" : "const ") + type + "*" + restrict + " " + parameter.name
        case .float32: return "float \(parameter.name)"
        case .int32: return "int \(parameter.name)"
        }
    }
}
