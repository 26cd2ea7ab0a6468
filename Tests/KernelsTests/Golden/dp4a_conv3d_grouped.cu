// Q3D kernel template dp4a_conv3d_ncdhw4c, version 2
// workload: {"batch":2,"dilation":{"depth":1,"height":1,"width":1},"groups":2,"input":{"depth":5,"height":7,"width":7},"inputChannels":16,"kernel":{"depth":3,"height":3,"width":3},"outputChannels":24,"padding":{"back":1,"bottom":1,"front":1,"left":1,"right":1,"top":1},"stride":{"depth":2,"height":2,"width":2}}
// config: {"auto_unroll_max_step":0,"fuse_yx":true,"reorder_inner":[0,1,2,3],"tile_d":[1,1,3,1],"tile_f":[2,1,3,1],"tile_rc":[1,2],"tile_rd":[3,1],"tile_rx":[3,1],"tile_ry":[1,3],"tile_x":[1,1,4,1],"tile_y":[1,2,2,1]}
// output: int32, NCDHW4c
// grid (x, y, z) = (1, 1, 4), block (x, y, z) = (8, 3, 3), static shared bytes = 2816, dynamic shared bytes = 0
// parameters: input: const int8[7840] NCDHW4c; weight: const int8[5184] OIDHW4o4i; output: int32[2304] NCDHW4c
//
// For NVRTC without headers: only built-in types (int, unsigned, float, int4) are used.

// Four int8 x int8 products of a and b added to c (PTX dp4a, sm_61 and later).
static __device__ __forceinline__ int q3d_dp4a(int a, int b, int c) {
  int d;
  asm("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
}

extern "C" __global__ void __launch_bounds__(72) q3d_dp4a_f2x1x3x1_d1x1x3x1_y1x2x2x1_x1x1x4x1_rc1x2_rd3x1_ry1x3_rx3x1_o0123_fyx1_u0_fd9af912(
    const int* __restrict__ input,
    const int4* __restrict__ weight,
    int4* __restrict__ output) {
  // Problem: NCDHW4c input of CHUNKS_IN chunks, OIDHW4o4i weights reducing over CHUNKS_RED chunks,
  // NCDHW4c output of CHUNKS_OUT chunks.
  constexpr int CHUNKS_IN = 4, D = 5, H = 7, W = 7;
  constexpr int CHUNKS_OUT = 6, DO = 3, HO = 4, WO = 4;
  constexpr int CHUNKS_RED = 2, KD = 3, KH = 3, KW = 3;
  constexpr int SD = 2, SH = 2, SW = 2, DD = 1, DH = 1, DW = 1;
  constexpr int PAD_D = 1, PAD_H = 1, PAD_W = 1;
  // Output splits: V (virtual threads) x T (threads) x I (inner) = TILE outputs per block.
  constexpr int VF = 1, TF = 3, IF = 1, TILE_F = VF * TF * IF;
  constexpr int VD = 1, TD = 3, ID = 1, TILE_D = VD * TD * ID;
  constexpr int VY = 2, TY = 2, IY = 1, TILE_Y = VY * TY * IY;
  constexpr int VX = 1, TX = 4, IX = 1, TILE_X = VX * TX * IX;
  constexpr int BF = CHUNKS_OUT / TILE_F, BX = WO / TILE_X;  // blocks along f and x
  // Reduction splits (outer x inner) over input chunks and kernel taps.
  constexpr int RC_O = 1, RC_I = 2, RD_O = 3, RD_I = 1;
  constexpr int RY_O = 1, RY_I = 3, RX_O = 3, RX_I = 1;
  // Input window of a block for one outer step: (tile - 1) * stride + (inner - 1) * dilation + 1.
  constexpr int WIN_D = (TILE_D - 1) * SD + (RD_I - 1) * DD + 1;
  constexpr int WIN_H = (TILE_Y - 1) * SH + (RY_I - 1) * DH + 1;
  constexpr int WIN_W = (TILE_X - 1) * SW + (RX_I - 1) * DW + 1;
  constexpr int IN_WORDS = RC_I * WIN_D * WIN_H * WIN_W, W_VECTORS = TILE_F * RC_I * RD_I * RY_I * RX_I;
  constexpr int THREADS = 72, BLOCK_X = 8, BLOCK_Y = 3;
  // Register tile: S spatial outputs per thread, each for VF * IF chunks of 4 channels.
  constexpr int S = VD * ID * VY * IY * VX * IX, ACC = VF * IF * 4 * S;

  // Both arrays are whole 16-byte vectors long, so that they take exactly their sum in any order.
  __shared__ int input_tile[(IN_WORDS + 3) / 4 * 4];
  __shared__ int4 weight_tile[W_VECTORS];

  // Threads: threadIdx.z = f, threadIdx.y = d, threadIdx.x = y * TX + x.
  const int tf = threadIdx.z, td = threadIdx.y, ty = threadIdx.x / TX, tx = threadIdx.x % TX;
  const int tid = (threadIdx.z * BLOCK_Y + threadIdx.y) * BLOCK_X + threadIdx.x;
  // Blocks: blockIdx.z = n * BF + f block, blockIdx.y = d block, blockIdx.x = y block * BX + x block.
  const int n = blockIdx.z / BF;
  const int f0 = blockIdx.z % BF * TILE_F, d0 = blockIdx.y * TILE_D;
  const int y0 = blockIdx.x / BX * TILE_Y, x0 = blockIdx.x % BX * TILE_X;
  // The block's output chunks lie in one group; it reads that group's input chunks.
  const int c0 = f0 / 3 * CHUNKS_RED;
  // First input element of the block's window (negative inside the padding).
  const int z0 = d0 * SD - PAD_D, y0_in = y0 * SH - PAD_H, x0_in = x0 * SW - PAD_W;
  const int* const input_n = input + (n * CHUNKS_IN + c0) * (D * H * W);

  int acc[ACC];  // [VF * IF][4 channels][S]
  #pragma unroll
  for (int i = 0; i < ACC; ++i) acc[i] = 0;

  // Outer reduction loops; the shared tiles are reloaded inside the last of them.
  for (int rc_o = 0; rc_o < RC_O; ++rc_o) {
    for (int rd_o = 0; rd_o < RD_O; ++rd_o) {
      for (int ry_o = 0; ry_o < RY_O; ++ry_o) {
        for (int rx_o = 0; rx_o < RX_O; ++rx_o) {
          __syncthreads();  // every thread is done with the previous step's tiles
          // Input window: RC_I chunks x WIN_D x WIN_H x WIN_W words, zero outside the input.
          #pragma unroll 4
          for (int it = 0; it < 9; ++it) {
            const int i = it * THREADS + tid;
            if (i < IN_WORDS) {
              const int c = i / (WIN_D * WIN_H * WIN_W), z = i / (WIN_H * WIN_W) % WIN_D;
              const int y = i / WIN_W % WIN_H, x = i % WIN_W;
              const int gz = z0 + rd_o * (RD_I * DD) + z;
              const int gy = y0_in + ry_o * (RY_I * DH) + y;
              const int gx = x0_in + rx_o * (RX_I * DW) + x;
              int v = 0;
              if ((unsigned)gz < (unsigned)D && (unsigned)gy < (unsigned)H && (unsigned)gx < (unsigned)W)
                v = input_n[(((rc_o * RC_I + c) * D + gz) * H + gy) * W + gx];
              input_tile[i] = v;
            }
          }
          // Weights: TILE_F chunks x RC_I chunks x RD_I x RY_I x RX_I taps, 16 bytes each.
          #pragma unroll
          for (int it = 0; it < 1; ++it) {
            const int i = it * THREADS + tid;
            if (i < W_VECTORS) {
              const int f = i / (RC_I * RD_I * RY_I * RX_I), c = i / (RD_I * RY_I * RX_I) % RC_I;
              const int kz = i / (RY_I * RX_I) % RD_I, ky = i / RX_I % RY_I, kx = i % RX_I;
              weight_tile[i] = weight[((((f0 + f) * CHUNKS_RED + rc_o * RC_I + c) * KD + rd_o * RD_I + kz) * KH
                                       + ry_o * RY_I + ky) * KW + rx_o * RX_I + kx];
            }
          }
          __syncthreads();
          for (int rc_i = 0; rc_i < RC_I; ++rc_i) {
            for (int rd_i = 0; rd_i < RD_I; ++rd_i) {
              for (int ry_i = 0; ry_i < RY_I; ++ry_i) {
                for (int rx_i = 0; rx_i < RX_I; ++rx_i) {
                  int a[S];
                  #pragma unroll
                  for (int jd = 0; jd < VD * ID; ++jd) {
                    #pragma unroll
                    for (int jy = 0; jy < VY * IY; ++jy) {
                      #pragma unroll
                      for (int jx = 0; jx < VX * IX; ++jx) {
                        const int z = ((jd / ID * TD + td) * ID + jd % ID) * SD + rd_i * DD;
                        const int y = ((jy / IY * TY + ty) * IY + jy % IY) * SH + ry_i * DH;
                        const int x = ((jx / IX * TX + tx) * IX + jx % IX) * SW + rx_i * DW;
                        a[(jd * (VY * IY) + jy) * (VX * IX) + jx] = input_tile[((rc_i * WIN_D + z) * WIN_H + y) * WIN_W + x];
                      }
                    }
                  }
                  #pragma unroll
                  for (int jf = 0; jf < VF * IF; ++jf) {
                    const int f = (jf / IF * TF + tf) * IF + jf % IF;
                    const int4 b = weight_tile[(((f * RC_I + rc_i) * RD_I + rd_i) * RY_I + ry_i) * RX_I + rx_i];
                    #pragma unroll
                    for (int s = 0; s < S; ++s) {
                      acc[(jf * 4 + 0) * S + s] = q3d_dp4a(a[s], b.x, acc[(jf * 4 + 0) * S + s]);
                      acc[(jf * 4 + 1) * S + s] = q3d_dp4a(a[s], b.y, acc[(jf * 4 + 1) * S + s]);
                      acc[(jf * 4 + 2) * S + s] = q3d_dp4a(a[s], b.z, acc[(jf * 4 + 2) * S + s]);
                      acc[(jf * 4 + 3) * S + s] = q3d_dp4a(a[s], b.w, acc[(jf * 4 + 3) * S + s]);
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  // Epilogue: NCDHW4c, one 4-channel chunk per store.
  #pragma unroll
  for (int jf = 0; jf < VF * IF; ++jf) {
    const int kc = f0 + (jf / IF * TF + tf) * IF + jf % IF;
    #pragma unroll
    for (int jd = 0; jd < VD * ID; ++jd) {
      #pragma unroll
      for (int jy = 0; jy < VY * IY; ++jy) {
        #pragma unroll
        for (int jx = 0; jx < VX * IX; ++jx) {
          const int od = d0 + (jd / ID * TD + td) * ID + jd % ID;
          const int oy = y0 + (jy / IY * TY + ty) * IY + jy % IY;
          const int ox = x0 + (jx / IX * TX + tx) * IX + jx % IX;
          const int o = (((n * CHUNKS_OUT + kc) * DO + od) * HO + oy) * WO + ox;
          const int s = (jd * (VY * IY) + jy) * (VX * IX) + jx;
          output[o] = make_int4(acc[(jf * 4 + 0) * S + s], acc[(jf * 4 + 1) * S + s],
                                acc[(jf * 4 + 2) * S + s], acc[(jf * 4 + 3) * S + s]);
        }
      }
    }
  }
}
