// imma_conv3d_ndhwc v1: int8 implicit-GEMM conv3d, mma.sync m16n8k32, cp.async pipeline
// workload: N=1 C=48 K=36, in 5x13x11, kernel 3x3x3, stride 1,2,2, pad 1,0,1,1,2,1, groups 4, out 5x7x6
// config: {"block_m": 64, "block_n": 16, "block_k": 64, "warps_m": 4, "warps_n": 1, "stages": 3, "split_k": 2, "a_vector": 4, "raster_group": 4}
// output: int8+relu+residual
// gemm per group (4 groups): M=210 N=K/G=9 K=324 (kd*kh*kw=27 x C/G=12); tiles 4x4 (1 per group), k-tiles 6
// launch: grid (16, 2, 1), block (128, 1, 1), dynamic shared 15360 bytes
// parameters:
//   input: const int8[34320] NDHWC
//   weight: const int8[11664] ODHWI
//   scale: const float32[36]
//   bias: const float32[36]
//   residual: const int8[7560] NDHWC
//   residual_scale: float
//   output: int8[7560] NDHWC
//   workspace: int32[32768]
//   counters: int32[16]
// Packed layouts: input [N, D, H, W, Cp], weight [K, kd, kh, kw, C/G], output [N, Do, Ho, Wo, Kp];
// Cp = C and Kp = K rounded up to 4, padding zero (the kernel writes the output's padding channels as zeros).
// counters must be zero before the first launch; every launch leaves them zero.

typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;

#define Q3D_DEVICE __device__ __forceinline__
// The block's dynamic shared memory; 128-byte aligned so that the swizzle sees whole bank lines.
#define Q3D_SHARED(name) extern __shared__ __align__(128) uint8_t name[]

// The 32-bit shared-window address of a pointer to shared memory: what cp.async and ldmatrix take.
Q3D_DEVICE uint32_t q3d_shared_address(const void* pointer) {
  uint32_t address;
  asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(address) : "l"(pointer));
  return address;
}

// cp.async copies BYTES bytes global -> shared without registers; source bytes past src_bytes
// (0 or BYTES here) are zero-filled, so a predicate becomes a source size and never a branch.
// The 16-byte form may bypass L1 (.cg); the 4- and 8-byte forms must go through it (.ca).
template <int BYTES>
Q3D_DEVICE void q3d_cp_async(uint32_t dst, const void* src, int src_bytes);
template <>
Q3D_DEVICE void q3d_cp_async<16>(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" :: "r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
template <>
Q3D_DEVICE void q3d_cp_async<8>(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 8, %2;" :: "r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
template <>
Q3D_DEVICE void q3d_cp_async<4>(uint32_t dst, const void* src, int src_bytes) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" :: "r"(dst), "l"(src), "r"(src_bytes) : "memory");
}
Q3D_DEVICE void q3d_cp_async_commit() { asm volatile("cp.async.commit_group;" ::: "memory"); }
// Waits until at most N of this thread's committed groups are still in flight.
template <int N>
Q3D_DEVICE void q3d_cp_async_wait() { asm volatile("cp.async.wait_group %0;" :: "n"(N) : "memory"); }

// Four 8x8 matrices of 16-bit elements (8 rows of 16 bytes each): lanes 8j..8j+7 give the row
// addresses of matrix j; register j of lane l receives bytes 4(l%4)..4(l%4)+3 of row l/4 of
// matrix j.
Q3D_DEVICE void q3d_ldmatrix_x4(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(address) : "memory");
}

// d += a * b for a 16x32 int8 A (row-major) and a 32x8 int8 B (column-major), int32 d.
// With g = lane / 4, t = lane % 4: a[0] row g, k 4t..4t+3; a[1] row g+8; a[2] row g, k 16+4t..;
// a[3] row g+8, k 16+4t..; b0 column g, k 4t..4t+3; b1 column g, k 16+4t..;
// d[0], d[1] row g, columns 2t, 2t+1; d[2], d[3] row g+8.
Q3D_DEVICE void q3d_mma_s8(int (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
               : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Global accesses of the epilogue and the split-K exchange.
Q3D_DEVICE void q3d_store_s32x2(int32_t* p, int x, int y) {
  asm volatile("st.global.v2.s32 [%0], {%1, %2};" :: "l"(p), "r"(x), "r"(y) : "memory");
}
Q3D_DEVICE void q3d_store_u16(int8_t* p, uint32_t v) {
  asm volatile("st.global.u16 [%0], %1;" :: "l"(p), "h"((uint16_t)v) : "memory");
}
Q3D_DEVICE uint32_t q3d_load_u16(const int8_t* p) {
  uint16_t v;
  asm volatile("ld.global.u16 %0, [%1];" : "=h"(v) : "l"(p) : "memory");
  return v;
}
Q3D_DEVICE void q3d_store_s32x4(int32_t* p, const int (&v)[4]) {
  asm volatile("st.global.v4.s32 [%0], {%1, %2, %3, %4};" :: "l"(p), "r"(v[0]), "r"(v[1]), "r"(v[2]), "r"(v[3]) : "memory");
}
// Reads through L2 only (.cg): the partial sums were written by other blocks, after our L1 could
// have seen the lines.
Q3D_DEVICE void q3d_load_s32x4_cg(const int32_t* p, int (&v)[4]) {
  asm volatile("ld.global.cg.v4.s32 {%0, %1, %2, %3}, [%4];" : "=r"(v[0]), "=r"(v[1]), "=r"(v[2]), "=r"(v[3]) : "l"(p) : "memory");
}

// ---- kernel ----
// Problem: input [BATCH, IN_D, IN_H, IN_W, IN_PITCH], output [BATCH, OUT_D, OUT_H, OUT_W, OUT_PITCH].
constexpr int BATCH = 1, IN_D = 5, IN_H = 13, IN_W = 11, IN_PITCH = 48;
constexpr int OUT_D = 5, OUT_H = 7, OUT_W = 6, OUT_PITCH = 36;
constexpr int KER_D = 3, KER_H = 3, KER_W = 3;
constexpr int STRIDE_D = 1, STRIDE_H = 2, STRIDE_W = 2;
constexpr int DIL_D = 1, DIL_H = 1, DIL_W = 1;
constexpr int PAD_D = 1, PAD_H = 0, PAD_W = 1;
// Grouped: GROUPS independent implicit GEMMs side by side. Group g reads input channels
// [g GROUP_C, (g + 1) GROUP_C), filters [g GROUP_K, (g + 1) GROUP_K) and writes those output channels.
constexpr int GROUPS = 4, GROUP_C = 12, GROUP_K = 9, OUT_K = 36;
// Per group: GEMM_M output pixels x GROUP_K channels, reduction GEMM_K = taps x GROUP_C.
constexpr int GEMM_M = 210, GEMM_K = 324;
static_assert(GEMM_M == BATCH * OUT_D * OUT_H * OUT_W && GEMM_K == KER_D * KER_H * KER_W * GROUP_C, "GEMM view");
static_assert(GROUPS * GROUP_C <= IN_PITCH && GROUPS * GROUP_K == OUT_K && OUT_K <= OUT_PITCH, "groups");
static_assert(GROUP_C % 4 == 0, "a group's channels start 4-byte aligned");

// Block tile.
constexpr int BM = 64, BN = 16, BK = 64, STAGES = 3, SPLIT_K = 2, THREADS = 128;
constexpr int M_TILES = 4, N_TILES = 4, K_TILES = 6, RASTER = 4;
constexpr int N_TILES_PER_GROUP = 1;  // N_TILES = GROUPS x N_TILES_PER_GROUP
constexpr int A_VEC = 4, B_VEC = 4;  // cp.async widths
constexpr int A_BYTES = BM * BK, STAGE_BYTES = (BM + BN) * BK;
// Shared tiles are rows of BK bytes, i.e. CHUNKS 16-byte chunks. ldmatrix reads the same chunk of 8
// consecutive rows at once; XOR-ing the chunk index with bits of the row (above SWIZZLE_SHIFT) puts
// those 8 chunks in 8 different 16-byte bank groups of a 128-byte line. (This is also the 32-, 64-
// and 128-byte swizzle of wgmma's K-major shared-memory layouts.)
constexpr int CHUNKS = BK / 16, SWIZZLE_SHIFT = 1;

// Byte offset of byte `byte` of row `row` in a swizzled tile.
Q3D_DEVICE int q3d_tile_offset(int row, int byte) {
  return row * BK + ((((byte >> 4) ^ (row >> SWIZZLE_SHIFT)) & (CHUNKS - 1)) << 4) + (byte & 15);
}
// Warps: WARPS_M x WARPS_N, each a WM x WN warp tile of MI x NI mma tiles of 16 x 8.
constexpr int WARPS_M = 4, WARPS_N = 1;
constexpr int WM = BM / WARPS_M, WN = BN / WARPS_N, MI = WM / 16, NI = WN / 8;
static_assert(THREADS == 32 * WARPS_M * WARPS_N, "one thread per lane of every warp");
// The accumulators acc[FRAG_ROWS][FRAG_COLS][4] of a thread: fragment (mi, ni) is the 16 x 8 tile at row
// frag_row0 + mi * FRAG_ROW_STEP, column frag_col0 + 8 ni of the block tile.
constexpr int FRAG_ROWS = MI, FRAG_COLS = NI, FRAG_ROW_STEP = 16;

extern "C" __global__ void __launch_bounds__(THREADS, 1)
imma_conv3d_bbb92201105f(const int8_t* __restrict__ input, const int8_t* __restrict__ weight, const float* __restrict__ scale, const float* __restrict__ bias, const int8_t* residual, float residual_scale, int8_t* output, int32_t* workspace, int32_t* counters) {
  Q3D_SHARED(smem);
  const uint32_t ring_base = q3d_shared_address(smem);
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;

  // Rasterization: blocks walk panels of RASTER m-tiles, all n-tiles of a panel before the next, so
  // that the blocks running together share activation and weight tiles in L2.
  const int panel = blockIdx.x / (RASTER * N_TILES);
  const int in_panel = blockIdx.x - panel * (RASTER * N_TILES);
  const int panel_rows = M_TILES - panel * RASTER < RASTER ? M_TILES - panel * RASTER : RASTER;
  const int m0 = (panel * RASTER + in_panel % panel_rows) * BM;
  const int n_tile = in_panel / panel_rows;
  const int group = n_tile / N_TILES_PER_GROUP;
  const int n0 = (n_tile - group * N_TILES_PER_GROUP) * BN;  // within the group's GROUP_K columns
  // Split-K: this block reduces k-tiles [k_begin, k_begin + k_count).
  const int split = blockIdx.y;
  const int k_begin = split * K_TILES / SPLIT_K;
  const int k_count = (split + 1) * K_TILES / SPLIT_K - k_begin;
  const int warp_row = (warp % WARPS_M) * WM, warp_col = (warp / WARPS_M) * WN;
  const int frag_row0 = warp_row, frag_col0 = warp_col;
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
    b_row[i] = n < GROUP_K ? (group * GROUP_K + n) * GEMM_K : -1;
  }

  // Copies k-tile kt into stage `stage`. A reduction index k is tap k / GROUP_C, channel k % GROUP_C;
  // A_VEC divides GROUP_C, so a copy never straddles two taps. Copies outside the input or past
  // GEMM_K read nothing (source size 0) and leave zeros.
  auto load_tile = [&](int kt, int stage) {
    const uint32_t a_tile = ring_base + stage * STAGE_BYTES;
    const int k = kt * BK + a_byte;
    const int tap = k / GROUP_C, channel = group * GROUP_C + k - tap * GROUP_C;
    const int dz = (tap / (KER_W * KER_H)) * DIL_D, dy = ((tap / KER_W) % KER_H) * DIL_H, dx = (tap % KER_W) * DIL_W;
    const int tap_pixel = (dz * IN_H + dy) * IN_W + dx;
    const bool k_inside = k < GEMM_K;
    #pragma unroll
    for (int i = 0; i < A_ITERS; ++i) {
      const int row = tid / A_PER_ROW + i * A_ROW_STEP;
      {
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
      {
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
          q3d_mma_s8(acc[mi][ni], a[mi], b[ni / 2][(ni & 1) * 2], b[ni / 2][(ni & 1) * 2 + 1]);
    }
    read_stage = read_stage + 1 == STAGES ? 0 : read_stage + 1;
    write_stage = write_stage + 1 == STAGES ? 0 : write_stage + 1;
  }
  q3d_cp_async_wait<0>();
  {
    constexpr int VECTORS = FRAG_ROWS * FRAG_COLS;
    int32_t* mine = workspace + ((blockIdx.x * SPLIT_K + split) * VECTORS * THREADS + tid) * 4;
    #pragma unroll
    for (int mi = 0; mi < FRAG_ROWS; ++mi)
      #pragma unroll
      for (int ni = 0; ni < FRAG_COLS; ++ni) q3d_store_s32x4(mine + (mi * FRAG_COLS + ni) * THREADS * 4, acc[mi][ni]);
    // Publish the partial sums before counting in (the pattern of the CUDA guide's threadfence example).
    __threadfence();
    __syncthreads();
    int* last_flag = reinterpret_cast<int*>(smem);  // the pipeline is drained: its shared memory is free
    if (tid == 0) {
      const int arrived = atomicAdd(counters + blockIdx.x, 1);
      *last_flag = arrived == SPLIT_K - 1;
      if (arrived == SPLIT_K - 1) counters[blockIdx.x] = 0;
    }
    __syncthreads();
    if (*last_flag == 0) return;
    __threadfence();
    for (int other = 0; other < SPLIT_K; ++other) {
      if (other == split) continue;
      const int32_t* theirs = workspace + ((blockIdx.x * SPLIT_K + other) * VECTORS * THREADS + tid) * 4;
      #pragma unroll
      for (int mi = 0; mi < FRAG_ROWS; ++mi)
        #pragma unroll
        for (int ni = 0; ni < FRAG_COLS; ++ni) {
          int v[4];
          q3d_load_s32x4_cg(theirs + (mi * FRAG_COLS + ni) * THREADS * 4, v);
          #pragma unroll
          for (int r = 0; r < 4; ++r) acc[mi][ni][r] += v[r];
        }
    }
  }
  const int g = lane >> 2, t4 = lane & 3;
  #pragma unroll
  for (int ni = 0; ni < FRAG_COLS; ++ni) {
    const int n = n0 + frag_col0 + ni * 8 + 2 * t4;
    const int channel = group * GROUP_K + n;
    const bool n_inside = n < GROUP_K;
    const float scale0 = n_inside ? scale[channel] : 0.0f, scale1 = n + 1 < GROUP_K ? scale[channel + 1] : 0.0f;
    const float bias0 = n_inside ? bias[channel] : 0.0f, bias1 = n + 1 < GROUP_K ? bias[channel + 1] : 0.0f;
    #pragma unroll
    for (int mi = 0; mi < FRAG_ROWS; ++mi)
      #pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int m = m0 + frag_row0 + mi * FRAG_ROW_STEP + g + 8 * h;
          if (m < GEMM_M) {
            #pragma unroll
            for (int e = 0; e < 2; ++e) {
              if (n + e >= GROUP_K) continue;
              float v = __fmaf_rn(__int2float_rn(acc[mi][ni][2 * h + e]), e ? scale1 : scale0, e ? bias1 : bias0);
              v = __fmaf_rn(__int2float_rn((int)residual[m * OUT_PITCH + channel + e]), residual_scale, v);
              v = fmaxf(v, 0.0f);
              int q = __float2int_rn(v);
              q = q < -128 ? -128 : (q > 127 ? 127 : q);
              output[m * OUT_PITCH + channel + e] = (int8_t)q;
            }
          }
      }
  }
}
