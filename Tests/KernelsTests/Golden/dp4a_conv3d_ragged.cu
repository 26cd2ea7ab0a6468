// Q3D kernel template dp4a_conv3d_ncdhw4c, version 2
// workload: {"batch":2,"dilation":{"depth":1,"height":2,"width":3},"groups":1,"input":{"depth":5,"height":9,"width":11},"inputChannels":5,"kernel":{"depth":2,"height":3,"width":3},"outputChannels":6,"padding":{"back":1,"bottom":0,"front":0,"left":1,"right":3,"top":2},"stride":{"depth":2,"height":1,"width":3}}
// config: {"auto_unroll_max_step":1500,"fuse_yx":false,"reorder_inner":[3,2,1,0],"tile_d":[1,1,3,1],"tile_f":[1,1,2,1],"tile_rc":[1,2],"tile_rd":[2,1],"tile_rx":[1,3],"tile_ry":[1,3],"tile_x":[1,1,1,3],"tile_y":[1,1,7,1]}
// output: int8+relu, NCDHW4c
// grid (x, y, z) = (1, 1, 2), block (x, y, z) = (1, 7, 6), static shared bytes = 6304, dynamic shared bytes = 0
// parameters: input: const int8[7920] NCDHW4c; weight: const int8[1152] OIDHW4o4i; output: int8[1008] NCDHW4c; scale: const float32[6]; bias: const float32[6]
//
// For NVRTC without headers: only built-in types (int, unsigned, float, int4) are used.

// Four int8 x int8 products of a and b added to c (PTX dp4a, sm_61 and later).
static __device__ __forceinline__ int q3d_dp4a(int a, int b, int c) {
  int d;
  asm("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
}

static __device__ __forceinline__ int q3d_requantize(int acc, float scale, float bias) {
  float v = __fmaf_rn(__int2float_rn(acc), scale, bias);
  v = fmaxf(v, 0.0f);
  const int r = __float2int_rn(v);  // round half to even; NaN gives 0
  return r < -128 ? -128 : (r > 127 ? 127 : r);
}

extern "C" __global__ void __launch_bounds__(42) q3d_dp4a_f1x1x2x1_d1x1x3x1_y1x1x7x1_x1x1x1x3_rc1x2_rd2x1_ry1x3_rx1x3_o3210_fyx0_u1500_82e02630(
    const int* __restrict__ input,
    const int4* __restrict__ weight,
    int* __restrict__ output,
    const float* __restrict__ scale,
    const float* __restrict__ bias) {
  // Problem: NCDHW4c input of CHUNKS_IN chunks, OIDHW4o4i weights reducing over CHUNKS_RED chunks,
  // NCDHW4c output of CHUNKS_OUT chunks.
  constexpr int CHUNKS_IN = 2, D = 5, H = 9, W = 11;
  constexpr int CHUNKS_OUT = 2, DO = 3, HO = 7, WO = 3;
  constexpr int CHUNKS_RED = 2, KD = 2, KH = 3, KW = 3;
  constexpr int SD = 2, SH = 1, SW = 3, DD = 1, DH = 2, DW = 3;
  constexpr int PAD_D = 0, PAD_H = 2, PAD_W = 1;
  // Output splits: V (virtual threads) x T (threads) x I (inner) = TILE outputs per block.
  constexpr int VF = 1, TF = 2, IF = 1, TILE_F = VF * TF * IF;
  constexpr int VD = 1, TD = 3, ID = 1, TILE_D = VD * TD * ID;
  constexpr int VY = 1, TY = 7, IY = 1, TILE_Y = VY * TY * IY;
  constexpr int VX = 1, TX = 1, IX = 3, TILE_X = VX * TX * IX;
  constexpr int BF = CHUNKS_OUT / TILE_F, BX = WO / TILE_X;  // blocks along f and x
  // Reduction splits (outer x inner) over input chunks and kernel taps.
  constexpr int RC_O = 1, RC_I = 2, RD_O = 2, RD_I = 1;
  constexpr int RY_O = 1, RY_I = 3, RX_O = 1, RX_I = 3;
  // Input window of a block for one outer step: (tile - 1) * stride + (inner - 1) * dilation + 1.
  constexpr int WIN_D = (TILE_D - 1) * SD + (RD_I - 1) * DD + 1;
  constexpr int WIN_H = (TILE_Y - 1) * SH + (RY_I - 1) * DH + 1;
  constexpr int WIN_W = (TILE_X - 1) * SW + (RX_I - 1) * DW + 1;
  constexpr int IN_WORDS = RC_I * WIN_D * WIN_H * WIN_W, W_VECTORS = TILE_F * RC_I * RD_I * RY_I * RX_I;
  constexpr int THREADS = 42, BLOCK_X = 1, BLOCK_Y = 7;
  // Register tile: S spatial outputs per thread, each for VF * IF chunks of 4 channels.
  constexpr int S = VD * ID * VY * IY * VX * IX, ACC = VF * IF * 4 * S;

  // Both arrays are whole 16-byte vectors long, so that they take exactly their sum in any order.
  __shared__ int input_tile[(IN_WORDS + 3) / 4 * 4];
  __shared__ int4 weight_tile[W_VECTORS];

  // Threads: threadIdx.z = f * TD + d, threadIdx.y = y, threadIdx.x = x.
  const int tf = threadIdx.z / TD, td = threadIdx.z % TD, ty = threadIdx.y, tx = threadIdx.x;
  const int tid = (threadIdx.z * BLOCK_Y + threadIdx.y) * BLOCK_X + threadIdx.x;
  // Blocks: blockIdx.z = n * BF + f block, blockIdx.y = d block, blockIdx.x = y block * BX + x block.
  const int n = blockIdx.z / BF;
  const int f0 = blockIdx.z % BF * TILE_F, d0 = blockIdx.y * TILE_D;
  const int y0 = blockIdx.x / BX * TILE_Y, x0 = blockIdx.x % BX * TILE_X;
  constexpr int c0 = 0;  // one group
  // First input element of the block's window (negative inside the padding).
  const int z0 = d0 * SD - PAD_D, y0_in = y0 * SH - PAD_H, x0_in = x0 * SW - PAD_W;
  const int* const input_n = input + (n * CHUNKS_IN + c0) * (D * H * W);

  int acc[ACC];  // [VF * IF][4 channels][S]
  #pragma unroll
  for (int i = 0; i < ACC; ++i) acc[i] = 0;

  // Outer reduction loops; the shared tiles are reloaded inside the last of them.
  #pragma unroll
  for (int rx_o = 0; rx_o < RX_O; ++rx_o) {
    #pragma unroll
    for (int ry_o = 0; ry_o < RY_O; ++ry_o) {
      #pragma unroll
      for (int rd_o = 0; rd_o < RD_O; ++rd_o) {
        #pragma unroll
        for (int rc_o = 0; rc_o < RC_O; ++rc_o) {
          __syncthreads();  // every thread is done with the previous step's tiles
          // Input window: RC_I chunks x WIN_D x WIN_H x WIN_W words, zero outside the input.
          #pragma unroll 4
          for (int it = 0; it < 35; ++it) {
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
          #pragma unroll
          for (int rx_i = 0; rx_i < RX_I; ++rx_i) {
            #pragma unroll
            for (int ry_i = 0; ry_i < RY_I; ++ry_i) {
              #pragma unroll
              for (int rd_i = 0; rd_i < RD_I; ++rd_i) {
                #pragma unroll
                for (int rc_i = 0; rc_i < RC_I; ++rc_i) {
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
  constexpr int K = 6;  // channels past K in the last chunk are written as 0
  #pragma unroll
  for (int jf = 0; jf < VF * IF; ++jf) {
    const int kc = f0 + (jf / IF * TF + tf) * IF + jf % IF;
    float sc[4], bi[4];
    #pragma unroll
    for (int j = 0; j < 4; ++j) {
      sc[j] = kc * 4 + j < K ? scale[kc * 4 + j] : 0.0f;
      bi[j] = kc * 4 + j < K ? bias[kc * 4 + j] : 0.0f;
    }
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
          unsigned packed = 0u;
          #pragma unroll
          for (int j = 0; j < 4; ++j) {
            const int q = kc * 4 + j < K ? q3d_requantize(acc[(jf * 4 + j) * S + s], sc[j], bi[j]) : 0;
            packed |= ((unsigned)q & 255u) << (8 * j);
          }
          output[o] = (int)packed;
        }
      }
    }
  }
}
