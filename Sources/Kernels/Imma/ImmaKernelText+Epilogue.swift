extension ImmaKernelText {
    /// Split-K: every split block leaves its accumulators in the workspace, then counts itself in on the
    /// tile's counter; the block that arrives last adds the other splits' partial sums to its own and
    /// runs the epilogue, the others leave. The last block also resets the counter for the next launch.
    /// Integer addition is exact in any order, so which block finishes does not change the result.
    ///
    /// Workspace layout: `[tile][split][fragment][thread][4]`, so that a warp's 16-byte stores and loads
    /// are contiguous. The accumulators are `acc[FRAG_ROWS][FRAG_COLS][4]` in both kernels.
    func splitKExchange() -> String {
        guard tiling.splitK > 1 else { return "" }
        return """
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

            """
    }

    /// The epilogue. In both kernels thread (g, t) = (lane / 4, lane % 4) holds, per 16x8 fragment
    /// `acc[mi][ni]`, rows g and g + 8 at columns 2t and 2t + 1 of the fragment, which starts at row
    /// `frag_row0 + mi * FRAG_ROW_STEP` and column `frag_col0 + 8 ni` of the block tile (OUT_PITCH is
    /// even, so a pair is either inside or outside). int32 pairs are stored as
    /// 8 bytes; int8 pairs go through exactly `Epilogue.apply` (fused multiply-adds written as intrinsics,
    /// since the compiler would otherwise choose where to fuse) and are stored as 2 bytes.
    func epilogue() -> String {
        let body: String
        switch output {
        case .int32:
            body = """
                          if (m < GEMM_M && n < OUT_PITCH) q3d_store_s32x2(output + m * OUT_PITCH + n, acc[mi][ni][2 * h], acc[mi][ni][2 * h + 1]);
                """
        case let .int8(relu, residual):
            var lines = [
                "if (m < GEMM_M && n < OUT_PITCH) {",
                "  float v0 = __fmaf_rn(__int2float_rn(acc[mi][ni][2 * h]), scale0, bias0);",
                "  float v1 = __fmaf_rn(__int2float_rn(acc[mi][ni][2 * h + 1]), scale1, bias1);",
            ]
            if residual {
                lines += [
                    "  const uint32_t r = q3d_load_u16(residual + m * OUT_PITCH + n);",
                    "  v0 = __fmaf_rn(__int2float_rn((int)(int8_t)(r & 0xff)), residual_scale, v0);",
                    "  v1 = __fmaf_rn(__int2float_rn((int)(int8_t)(r >> 8)), residual_scale, v1);",
                ]
            }
            if relu {
                lines += ["  v0 = fmaxf(v0, 0.0f);", "  v1 = fmaxf(v1, 0.0f);"]
            }
            lines += [
                "  int q0 = __float2int_rn(v0), q1 = __float2int_rn(v1);",
                "  q0 = q0 < -128 ? -128 : (q0 > 127 ? 127 : q0);",
                "  q1 = q1 < -128 ? -128 : (q1 > 127 ? 127 : q1);",
                "  q3d_store_u16(output + m * OUT_PITCH + n, (uint32_t)(q0 & 0xff) | ((uint32_t)(q1 & 0xff) << 8));",
                "}",
            ]
            body = lines.map { String(repeating: " ", count: 10) + $0 }.joined(separator: "\n") + "\n"
        }
        let channelValues: String
        if case .int8 = output {
            channelValues = """
                    const bool n_inside = n < OUT_PITCH;
                    const float scale0 = n_inside ? scale[n] : 0.0f, scale1 = n_inside ? scale[n + 1] : 0.0f;
                    const float bias0 = n_inside ? bias[n] : 0.0f, bias1 = n_inside ? bias[n + 1] : 0.0f;

                """
        } else {
            channelValues = ""
        }
        return """
              const int g = lane >> 2, t4 = lane & 3;
              #pragma unroll
              for (int ni = 0; ni < FRAG_COLS; ++ni) {
                const int n = n0 + frag_col0 + ni * 8 + 2 * t4;
            \(channelValues)    #pragma unroll
                for (int mi = 0; mi < FRAG_ROWS; ++mi)
                  #pragma unroll
                  for (int h = 0; h < 2; ++h) {
                    const int m = m0 + frag_row0 + mi * FRAG_ROW_STEP + g + 8 * h;
            \(body)      }
              }

            """
    }
}
