extension ImmaKernelText {
    /// Split-K: every split block leaves its accumulators in the workspace, then counts itself in on the
    /// tile's counter; the block that arrives last adds the other splits' partial sums to its own and
    /// runs the epilogue, the others leave. The last block also resets the counter for the next launch.
    /// Integer addition is exact in any order, so which block finishes does not change the result.
    ///
    /// Workspace layout: `[tile][split][fragment][thread][4]`, so that a warp's 16-byte stores and loads
    /// are contiguous. The accumulators are `acc[FRAG_ROWS][FRAG_COLS][4]` in both kernels.
    ///
    /// With float accumulators (the fp16 template) the partial sums are floats in the same layout; the
    /// last block adds them in split order, so the rounding depends on which block arrives last — within
    /// that template's verification tolerance.
    func splitKExchange(_ accumulator: MmaAccumulator = .s32) -> String {
        guard tiling.splitK > 1 else { return "" }
        // The workspace parameter is int32; float partial sums reinterpret it.
        let (element, base, view, store, load) = accumulator == .s32
            ? ("int32_t", "workspace", "", "q3d_store_s32x4", "q3d_load_s32x4_cg")
            : ("float", "partials", "    float* partials = reinterpret_cast<float*>(workspace);\n", "q3d_store_f32x4", "q3d_load_f32x4_cg")
        return """
              {
                constexpr int VECTORS = FRAG_ROWS * FRAG_COLS;

            """ + view + """
                \(element)* mine = \(base) + ((blockIdx.x * SPLIT_K + split) * VECTORS * THREADS + tid) * 4;
                #pragma unroll
                for (int mi = 0; mi < FRAG_ROWS; ++mi)
                  #pragma unroll
                  for (int ni = 0; ni < FRAG_COLS; ++ni) \(store)(mine + (mi * FRAG_COLS + ni) * THREADS * 4, acc[mi][ni]);
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
                  const \(element)* theirs = \(base) + ((blockIdx.x * SPLIT_K + other) * VECTORS * THREADS + tid) * 4;
                  #pragma unroll
                  for (int mi = 0; mi < FRAG_ROWS; ++mi)
                    #pragma unroll
                    for (int ni = 0; ni < FRAG_COLS; ++ni) {
                      \(accumulator.type) v[4];
                      \(load)(theirs + (mi * FRAG_COLS + ni) * THREADS * 4, v);
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
    ///
    /// A grouped kernel's column n counts within its group: the channel is `group * GROUP_K + n`, and
    /// columns past GROUP_K are outside. With an even GROUP_K a pair never straddles two groups and
    /// starts on an even channel, as above; with an odd one each value is stored alone.
    ///
    /// `pixel` is the C expression of a row's output pixel (its GEMM row m), in terms of the fragment's
    /// tile row `frag_row0 + mi * FRAG_ROW_STEP + g + 8 * h`; it must be GEMM_M or more for rows that
    /// store nothing. The default is the implicit GEMM's `m0 +` that row; the halo template maps a box
    /// row to its pixel instead.
    func epilogue(pixel: String = "m0 + frag_row0 + mi * FRAG_ROW_STEP + g + 8 * h") -> String {
        if tiling.stagedOutput, case let .int8(relu, residual) = output, !geometry.isGrouped {
            return stagedEpilogue(relu: relu, residual: residual)
        }
        let grouped = geometry.isGrouped
        let pairs = !grouped || geometry.groupColumns % 2 == 0
        let limit = grouped ? "GROUP_K" : "OUT_PITCH"
        let index = grouped ? "channel" : "n"
        let body: String
        switch output {
        case .int32 where pairs:
            body = """
                          if (m < GEMM_M && n < \(limit)) q3d_store_s32x2(output + m * OUT_PITCH + \(index), acc[mi][ni][2 * h], acc[mi][ni][2 * h + 1]);
                """
        case .int32:
            body = """
                          if (m < GEMM_M) {
                            if (n < GROUP_K) output[m * OUT_PITCH + channel] = acc[mi][ni][2 * h];
                            if (n + 1 < GROUP_K) output[m * OUT_PITCH + channel + 1] = acc[mi][ni][2 * h + 1];
                          }
                """
        case let .int8(relu, residual) where pairs:
            var lines = [
                "if (m < GEMM_M && n < \(limit)) {",
                "  float v0 = __fmaf_rn(__int2float_rn(acc[mi][ni][2 * h]), scale0, bias0);",
                "  float v1 = __fmaf_rn(__int2float_rn(acc[mi][ni][2 * h + 1]), scale1, bias1);",
            ]
            if residual {
                lines += [
                    "  const uint32_t r = q3d_load_u16(residual + m * OUT_PITCH + \(index));",
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
                "  q3d_store_u16(output + m * OUT_PITCH + \(index), (uint32_t)(q0 & 0xff) | ((uint32_t)(q1 & 0xff) << 8));",
                "}",
            ]
            body = lines.map { String(repeating: " ", count: 10) + $0 }.joined(separator: "\n") + "\n"
        case let .int8(relu, residual):
            // Odd GROUP_K: channel may be odd, and n + 1 may be the next group's; one byte at a time.
            var lines = [
                "if (m < GEMM_M) {",
                "  #pragma unroll",
                "  for (int e = 0; e < 2; ++e) {",
                "    if (n + e >= GROUP_K) continue;",
                "    float v = __fmaf_rn(__int2float_rn(acc[mi][ni][2 * h + e]), e ? scale1 : scale0, e ? bias1 : bias0);",
            ]
            if residual {
                lines.append("    v = __fmaf_rn(__int2float_rn((int)residual[m * OUT_PITCH + channel + e]), residual_scale, v);")
            }
            if relu {
                lines.append("    v = fmaxf(v, 0.0f);")
            }
            lines += [
                "    int q = __float2int_rn(v);",
                "    q = q < -128 ? -128 : (q > 127 ? 127 : q);",
                "    output[m * OUT_PITCH + channel + e] = (int8_t)q;",
                "  }",
                "}",
            ]
            body = lines.map { String(repeating: " ", count: 10) + $0 }.joined(separator: "\n") + "\n"
        }
        var channelValues = grouped ? "    const int channel = group * GROUP_K + n;\n" : ""
        if case .int8 = output {
            let second = pairs ? "n_inside" : "n + 1 < GROUP_K"
            channelValues += """
                    const bool n_inside = n < \(limit);
                    const float scale0 = n_inside ? scale[\(index)] : 0.0f, scale1 = \(second) ? scale[\(index) + 1] : 0.0f;
                    const float bias0 = n_inside ? bias[\(index)] : 0.0f, bias1 = \(second) ? bias[\(index) + 1] : 0.0f;

                """
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
                    const int m = \(pixel);
            \(body)      }
              }

            """ + paddingChannels()
    }

    /// A grouped kernel's columns end at channel K; when K is not a multiple of 4 the output's padding
    /// channels K..Kp-1 must still hold zeros, as an ungrouped kernel leaves them (its padding filters,
    /// scale and bias are zero). The first n-tile of the last group writes them for its rows.
    func paddingChannels() -> String {
        let w = geometry.workload
        guard geometry.isGrouped, geometry.outputPitch > w.outputChannels else { return "" }
        return """
              if (group == GROUPS - 1 && n0 == 0) {
                constexpr int PADDING = OUT_PITCH - OUT_K;
                for (int i = tid; i < BM * PADDING; i += \(epilogueThreads)) {
                  const int m = m0 + i / PADDING;
                  if (m < GEMM_M) output[m * OUT_PITCH + OUT_K + i % PADDING] = 0;
                }
              }

            """
    }

    /// The threads that run the epilogue, and the barrier among them: the block's, or a warp-specialized
    /// kernel's consumer warpgroups (named barrier 1), while its producer may already load the next tile.
    var epilogueThreads: String { tiling.warpSpecialized ? "CONSUMERS" : "THREADS" }
    var epilogueBarrier: String { tiling.warpSpecialized ? "q3d_named_barrier(1, CONSUMERS)" : "__syncthreads()" }

    /// Global loads and stores of whole 4-, 8- or 16-byte vectors, for the staged epilogue (rendered
    /// before the kernel marker only where a kernel stages its output).
    static let vectorPrelude = #"""
        // BYTES (4, 8 or 16, aligned to their size) at p as words v[0 .. BYTES / 4).
        template <int BYTES> Q3D_DEVICE void q3d_load_vector(const int8_t* p, uint32_t (&v)[4]);
        template <> Q3D_DEVICE void q3d_load_vector<16>(const int8_t* p, uint32_t (&v)[4]) {
          asm volatile("ld.global.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(v[0]), "=r"(v[1]), "=r"(v[2]), "=r"(v[3]) : "l"(p));
        }
        template <> Q3D_DEVICE void q3d_load_vector<8>(const int8_t* p, uint32_t (&v)[4]) {
          asm volatile("ld.global.v2.u32 {%0, %1}, [%2];" : "=r"(v[0]), "=r"(v[1]) : "l"(p));
        }
        template <> Q3D_DEVICE void q3d_load_vector<4>(const int8_t* p, uint32_t (&v)[4]) {
          asm volatile("ld.global.u32 %0, [%1];" : "=r"(v[0]) : "l"(p));
        }
        template <int BYTES> Q3D_DEVICE void q3d_store_vector(int8_t* p, const uint32_t (&v)[4]);
        template <> Q3D_DEVICE void q3d_store_vector<16>(int8_t* p, const uint32_t (&v)[4]) {
          asm volatile("st.global.v4.u32 [%0], {%1, %2, %3, %4};" :: "l"(p), "r"(v[0]), "r"(v[1]), "r"(v[2]), "r"(v[3]) : "memory");
        }
        template <> Q3D_DEVICE void q3d_store_vector<8>(int8_t* p, const uint32_t (&v)[4]) {
          asm volatile("st.global.v2.u32 [%0], {%1, %2};" :: "l"(p), "r"(v[0]), "r"(v[1]) : "memory");
        }
        template <> Q3D_DEVICE void q3d_store_vector<4>(int8_t* p, const uint32_t (&v)[4]) {
          asm volatile("st.global.u32 [%0], %1;" :: "l"(p), "r"(v[0]) : "memory");
        }
        """#

    /// The int8 epilogue through shared memory (``ImmaTiling/stagedOutput``): the same arithmetic as
    /// ``epilogue()``, each thread's pairs written to a BM x BN tile in shared memory, then the tile
    /// stored as whole OV-byte vectors of consecutive channels of one pixel (OV the widest of 16, 8, 4
    /// that divides OUT_PITCH, so a vector never leaves its pixel); a residual comes in the same way.
    func stagedEpilogue(relu: Bool, residual: Bool) -> String {
        let vector = [16, 8, 4].first { geometry.outputPitch % $0 == 0 } ?? 4
        var lines = [
            "if (m < GEMM_M && n < OUT_PITCH) {",
            "  float v0 = __fmaf_rn(__int2float_rn(acc[mi][ni][2 * h]), scale0, bias0);",
            "  float v1 = __fmaf_rn(__int2float_rn(acc[mi][ni][2 * h + 1]), scale1, bias1);",
        ]
        if residual {
            lines += [
                "  const uint32_t r = *reinterpret_cast<const uint16_t*>(staged_residual + row * BN + col);",
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
            "  *reinterpret_cast<uint16_t*>(staged + row * BN + col) = (uint16_t)((q0 & 0xff) | ((q1 & 0xff) << 8));",
            "}",
        ]
        let body = lines.map { String(repeating: " ", count: 10) + $0 }.joined(separator: "\n") + "\n"
        let residualIn = !residual ? "" : """
              // The residual tile comes in as whole vectors too.
              int8_t* const staged_residual = staged + BM * BN;
              for (int i = tid; i < BM * ROW_VECTORS; i += \(epilogueThreads)) {
                const int row = i / ROW_VECTORS, col = (i % ROW_VECTORS) * OV;
                const int m = m0 + row, n = n0 + col;
                if (m < GEMM_M && n < OUT_PITCH) {
                  uint32_t v[4];
                  q3d_load_vector<OV>(residual + m * OUT_PITCH + n, v);
                  #pragma unroll
                  for (int w = 0; w < OV / 4; ++w) reinterpret_cast<uint32_t*>(staged_residual + row * BN + col)[w] = v[w];
                }
              }
              \(epilogueBarrier);

            """
        return """
              // Staged int8 output: each thread's 2-byte pairs (of 8 different pixels) go to a BM x BN tile in shared
              // memory; the block then stores the tile as whole OV-byte vectors of consecutive channels of one pixel.
              constexpr int OV = \(vector), ROW_VECTORS = BN / OV;
              \(epilogueBarrier);  // every warp is done with what the staging area reuses
              int8_t* const staged = reinterpret_cast<int8_t*>(smem) + (ring_base - q3d_shared_address(smem)) + \(tiling.stagingOffset);

            """ + residualIn + """
              const int g = lane >> 2, t4 = lane & 3;
              #pragma unroll
              for (int ni = 0; ni < FRAG_COLS; ++ni) {
                const int col = frag_col0 + ni * 8 + 2 * t4, n = n0 + col;
                const bool n_inside = n < OUT_PITCH;
                const float scale0 = n_inside ? scale[n] : 0.0f, scale1 = n_inside ? scale[n + 1] : 0.0f;
                const float bias0 = n_inside ? bias[n] : 0.0f, bias1 = n_inside ? bias[n + 1] : 0.0f;
                #pragma unroll
                for (int mi = 0; mi < FRAG_ROWS; ++mi)
                  #pragma unroll
                  for (int h = 0; h < 2; ++h) {
                    const int row = frag_row0 + mi * FRAG_ROW_STEP + g + 8 * h, m = m0 + row;
            \(body)      }
              }
              \(epilogueBarrier);
              for (int i = tid; i < BM * ROW_VECTORS; i += \(epilogueThreads)) {
                const int row = i / ROW_VECTORS, col = (i % ROW_VECTORS) * OV;
                const int m = m0 + row, n = n0 + col;
                if (m < GEMM_M && n < OUT_PITCH) {
                  uint32_t v[4];
                  #pragma unroll
                  for (int w = 0; w < OV / 4; ++w) v[w] = reinterpret_cast<const uint32_t*>(staged + row * BN + col)[w];
                  q3d_store_vector<OV>(output + m * OUT_PITCH + n, v);
                }
              }

            """
    }
}
