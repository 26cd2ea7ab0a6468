import Tensors

/// Renders one depthwise kernel (see ``DepthwiseConv3DTemplate``).
struct DepthwiseConv3DRenderer {
    let geometry: DepthwiseConv3DGeometry
    let config: DepthwiseConv3DConfig
    let output: OutputKind

    var name: String {
        let key = "\(DepthwiseConv3DTemplate.version) \(geometry.workload) \(config.json) \(output)"
        return "dw_conv3d_\(StableHash.hex(key, digits: 12))"
    }

    /// input, weight, [scale, bias, [residual, residual_scale]], output.
    var parameters: [KernelParameter] {
        let g = geometry
        func buffer(_ name: String, _ role: KernelParameter.Role, _ element: DType, _ count: Int, _ layout: Layout?, writable: Bool = false) -> KernelParameter {
            KernelParameter(name: name, role: role, kind: .buffer(element: element, count: count, layout: layout, writable: writable))
        }
        var list = [buffer("input", .input, .int8, g.inputElements, .ndhwc), buffer("weight", .weight, .int8, g.weightElements, .dhwo)]
        switch output {
        case .int32:
            list.append(buffer("output", .output, .int32, g.outputElements, .ndhwc, writable: true))
        case .int8(_, let residual):
            list.append(buffer("scale", .scale, .float32, g.pitch, nil))
            list.append(buffer("bias", .bias, .float32, g.pitch, nil))
            if residual {
                list.append(buffer("residual", .residual, .int8, g.outputElements, .ndhwc))
                list.append(KernelParameter(name: "residual_scale", role: .residualScale, kind: .float32))
            }
            list.append(buffer("output", .output, .int8, g.outputElements, .ndhwc, writable: true))
        }
        return list
    }

    func render() -> KernelSource {
        let parameters = self.parameters
        let grid = geometry.grid(config)
        var text = header(parameters: parameters, grid: grid) + "\n" + Self.prelude + "\n" + constants() + "\n"
        text += "extern \"C\" __global__ void __launch_bounds__(THREADS, 1)\n\(name)("
            + parameters.map(ImmaKernelText.declaration).joined(separator: ", ") + ") {\n"
        text += body() + epilogue() + "}\n"
        return KernelSource(
            template: DepthwiseConv3DTemplate.name, templateVersion: DepthwiseConv3DTemplate.version, name: name,
            text: text, grid: LaunchDimensions(x: grid), block: LaunchDimensions(x: config.threads),
            dynamicSharedBytes: 0, staticSharedBytes: 0, parameters: parameters)
    }

    func header(parameters: [KernelParameter], grid: Int) -> String {
        var lines = [
            "// \(DepthwiseConv3DTemplate.name) v\(DepthwiseConv3DTemplate.version): int8 depthwise conv3d, channels-last, register windows along W",
            "// workload: \(geometry.workload)",
            "// config: \(config.json)",
            "// output: \(output)",
            "// launch: grid (\(grid), 1, 1), block (\(config.threads), 1, 1), no shared memory",
            "// parameters:",
        ]
        lines += parameters.map { "//   \($0)" }
        lines.append("// Packed layouts: input [N, D, H, W, Cp], weight [kd, kh, kw, Cp], output [N, Do, Ho, Wo, Cp];")
        lines.append("// Cp = C rounded up to 4, padding zero (scale and bias zero past C).")
        return lines.joined(separator: "\n") + "\n"
    }

    static let prelude = """
        typedef signed char int8_t;
        typedef unsigned char uint8_t;
        typedef int int32_t;
        typedef unsigned int uint32_t;
        #define Q3D_DEVICE __device__ __forceinline__

        // Byte b of word w, sign-extended.
        Q3D_DEVICE int q3d_s8(uint32_t w, int b) { return (int)(int8_t)(w >> (8 * b)); }

        // A 4x4 byte transpose: byte i of word k of the result is byte k of input word i.
        Q3D_DEVICE void q3d_transpose4(uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t out[4]) {
          const uint32_t ab_lo = __byte_perm(a, b, 0x5140), ab_hi = __byte_perm(a, b, 0x7362);
          const uint32_t cd_lo = __byte_perm(c, d, 0x5140), cd_hi = __byte_perm(c, d, 0x7362);
          out[0] = __byte_perm(ab_lo, cd_lo, 0x5410);
          out[1] = __byte_perm(ab_lo, cd_lo, 0x7632);
          out[2] = __byte_perm(ab_hi, cd_hi, 0x5410);
          out[3] = __byte_perm(ab_hi, cd_hi, 0x7632);
        }

        """

    func constants() -> String {
        let w = geometry.workload
        return """
            // Problem: input [BATCH, IN_D, IN_H, IN_W, PITCH], output [BATCH, OUT_D, OUT_H, OUT_W, PITCH].
            constexpr int BATCH = \(w.batch), IN_D = \(w.input.depth), IN_H = \(w.input.height), IN_W = \(w.input.width), PITCH = \(geometry.pitch);
            constexpr int OUT_D = \(w.output.depth), OUT_H = \(w.output.height), OUT_W = \(w.output.width);
            constexpr int KER_D = \(w.kernel.depth), KER_H = \(w.kernel.height), KER_W = \(w.kernel.width);
            constexpr int STRIDE_D = \(w.stride.depth), STRIDE_H = \(w.stride.height), STRIDE_W = \(w.stride.width);
            constexpr int DIL_D = \(w.dilation.depth), DIL_H = \(w.dilation.height), DIL_W = \(w.dilation.width);
            constexpr int PAD_D = \(w.padding.front), PAD_H = \(w.padding.top), PAD_W = \(w.padding.left);

            // A thread: T outputs along W x V channels; WIN input positions along W feed them.
            constexpr int V = \(config.channels), T = \(config.outputsW), THREADS = \(config.threads);
            constexpr int WORDS = V / 4, WIN = (T - 1) * STRIDE_W + (KER_W - 1) * DIL_W + 1;
            constexpr int C_GROUPS = PITCH / V, X_TILES = (OUT_W + T - 1) / T;
            constexpr int ITEMS = BATCH * OUT_D * OUT_H * X_TILES * C_GROUPS;
            static_assert(PITCH % V == 0 && ITEMS == \(geometry.items(config)), "work decomposition");
            \(tapConstants)
            // V bytes of channels, loaded and stored as one vector access.
            struct alignas(V) q3d_vec { uint32_t w[WORDS]; };
            struct alignas(16) q3d_s32x4 { int v[4]; };

            """
    }

    /// With `tap_dp4a`: the row's taps in fours (CHUNKS), and the window held as PW words of four
    /// positions per channel (WINP positions, those past WIN zero).
    var tapConstants: String {
        guard config.tapDP4A else { return "" }
        return """
            constexpr int CHUNKS = \(geometry.tapChunks), PW = \(geometry.transposedWords(outputs: config.outputsW)), WINP = 4 * PW;
            static_assert(DIL_W == 1 && WINP >= WIN && (T - 1) * STRIDE_W + 4 * CHUNKS <= WINP - 4, "tap windows");

            """
    }

    /// The products of one filter row: one byte multiply-add per tap, or with `tap_dp4a` per four taps.
    var rowProducts: String {
        guard config.tapDP4A else {
            return """
                      const int8_t* taps = weight + (kz * KER_H + ky) * KER_W * PITCH + c0;
                      #pragma unroll
                      for (int kx = 0; kx < KER_W; ++kx) {
                        const q3d_vec wv = *reinterpret_cast<const q3d_vec*>(taps + kx * PITCH);
                        #pragma unroll
                        for (int t = 0; t < T; ++t)
                          #pragma unroll
                          for (int j = 0; j < V; ++j)
                            acc[t][j] += q3d_s8(win[t * STRIDE_W + kx * DIL_W].w[j >> 2], j & 3) * q3d_s8(wv.w[j >> 2], j & 3);
                      }

                """
        }
        return """
                  // Per channel, the row's weights in words of four taps (zero past KER_W) and the window in
                  // words of four consecutive positions: both are 4x4 byte transposes of what was loaded.
                  const int8_t* taps = weight + (kz * KER_H + ky) * KER_W * PITCH + c0;
                  q3d_vec wv[4 * CHUNKS];
                  #pragma unroll
                  for (int kx = 0; kx < 4 * CHUNKS; ++kx) {
                    if (kx < KER_W) {
                      wv[kx] = *reinterpret_cast<const q3d_vec*>(taps + kx * PITCH);
                    } else {
                      #pragma unroll
                      for (int q = 0; q < WORDS; ++q) wv[kx].w[q] = 0;
                    }
                  }
                  uint32_t wt[CHUNKS][V], col[PW][V];
                  #pragma unroll
                  for (int q = 0; q < WORDS; ++q) {
                    #pragma unroll
                    for (int c = 0; c < CHUNKS; ++c)
                      q3d_transpose4(wv[4 * c].w[q], wv[4 * c + 1].w[q], wv[4 * c + 2].w[q], wv[4 * c + 3].w[q], &wt[c][4 * q]);
                    #pragma unroll
                    for (int k = 0; k < PW; ++k)
                      q3d_transpose4(win[4 * k].w[q], win[4 * k + 1].w[q], win[4 * k + 2].w[q], win[4 * k + 3].w[q], &col[k][4 * q]);
                  }
                  // Output t's taps 4c..4c+3 read positions p..p+3, p = t * STRIDE_W + 4c: a funnel shift of two
                  // window words (a tap past KER_W has weight zero, whatever input byte it meets).
                  #pragma unroll
                  for (int t = 0; t < T; ++t)
                    #pragma unroll
                    for (int c = 0; c < CHUNKS; ++c) {
                      const int p = t * STRIDE_W + 4 * c;
                      #pragma unroll
                      for (int j = 0; j < V; ++j) {
                        const uint32_t x = __funnelshift_r(col[p / 4][j], col[p / 4 + 1][j], 8 * (p % 4));
                        acc[t][j] = __dp4a((int)x, (int)wt[c][j], acc[t][j]);
                      }
                    }

            """
    }

    /// The loop over the filter: plane by plane (kz), and in each plane row by row (ky) — a row's
    /// window loaded, then multiplied — or with `unroll_rows` every row's window loaded first, so that
    /// all of a plane's loads are in flight together (rows outside the input are zero).
    var filterLoop: String {
        let held = config.tapDP4A ? "WINP" : "WIN"
        guard config.unrollRows else {
            return """
                  #pragma unroll 1
                  for (int kz = 0; kz < KER_D; ++kz) {
                    const int iz = iz0 + kz * DIL_D;
                    if ((unsigned)iz >= (unsigned)IN_D) continue;
                    #pragma unroll 1
                    for (int ky = 0; ky < KER_H; ++ky) {
                      const int iy = iy0 + ky * DIL_H;
                      if ((unsigned)iy >= (unsigned)IN_H) continue;
                      // The input row window, zero outside the input (the left and right padding).
                      const int8_t* row = input + ((n * IN_D + iz) * IN_H + iy) * IN_W * PITCH + c0;
                      q3d_vec win[\(held)];
                      #pragma unroll
                      for (int r = 0; r < \(held); ++r) {
                        const int ix = ix0 + r;
                        if (r < WIN && (unsigned)ix < (unsigned)IN_W) {
                          win[r] = *reinterpret_cast<const q3d_vec*>(row + ix * PITCH);
                        } else {
                          #pragma unroll
                          for (int q = 0; q < WORDS; ++q) win[r].w[q] = 0;
                        }
                      }
                \(rowProducts)    }
                  }
                """
        }
        return """
              #pragma unroll 1
              for (int kz = 0; kz < KER_D; ++kz) {
                const int iz = iz0 + kz * DIL_D;
                if ((unsigned)iz >= (unsigned)IN_D) continue;
                // Every row window of this filter plane, zero outside the input, before any is used.
                q3d_vec rows[KER_H][\(held)];
                #pragma unroll
                for (int ky = 0; ky < KER_H; ++ky) {
                  const int iy = iy0 + ky * DIL_H;
                  const bool inside = (unsigned)iy < (unsigned)IN_H;
                  const int8_t* row = input + ((n * IN_D + iz) * IN_H + (inside ? iy : 0)) * IN_W * PITCH + c0;
                  #pragma unroll
                  for (int r = 0; r < \(held); ++r) {
                    const int ix = ix0 + r;
                    if (inside && r < WIN && (unsigned)ix < (unsigned)IN_W) {
                      rows[ky][r] = *reinterpret_cast<const q3d_vec*>(row + ix * PITCH);
                    } else {
                      #pragma unroll
                      for (int q = 0; q < WORDS; ++q) rows[ky][r].w[q] = 0;
                    }
                  }
                }
                #pragma unroll
                for (int ky = 0; ky < KER_H; ++ky) {
                  const q3d_vec (&win)[\(held)] = rows[ky];
            \(rowProducts)    }
              }
            """
    }

    func body() -> String {
        """
          // Consecutive threads take consecutive channel vectors of one pixel tile: coalesced accesses.
          const int item = blockIdx.x * THREADS + threadIdx.x;
          if (item >= ITEMS) return;
          const int cg = item % C_GROUPS;
          int rest = item / C_GROUPS;
          const int xt = rest % X_TILES;
          rest /= X_TILES;
          const int oy = rest % OUT_H;
          rest /= OUT_H;
          const int oz = rest % OUT_D;
          const int n = rest / OUT_D;
          const int c0 = cg * V, ox0 = xt * T;
          const int iz0 = oz * STRIDE_D - PAD_D, iy0 = oy * STRIDE_H - PAD_H, ix0 = ox0 * STRIDE_W - PAD_W;

          int acc[T][V];
          #pragma unroll
          for (int t = 0; t < T; ++t)
            #pragma unroll
            for (int j = 0; j < V; ++j) acc[t][j] = 0;

        \(filterLoop)
          const int pixel0 = ((n * OUT_D + oz) * OUT_H + oy) * OUT_W + ox0;

        """
    }

    /// int32: the accumulators as 16-byte stores. int8: exactly `Epilogue.apply` per channel (fused
    /// multiply-adds written as intrinsics, so the compiler cannot choose where to fuse), four channels
    /// packed per word, one vector store per output.
    func epilogue() -> String {
        switch output {
        case .int32:
            return """
                  #pragma unroll
                  for (int t = 0; t < T; ++t) {
                    if (ox0 + t >= OUT_W) break;
                    int32_t* out = output + (pixel0 + t) * PITCH + c0;
                    #pragma unroll
                    for (int q = 0; q < WORDS; ++q) {
                      q3d_s32x4 v;
                      #pragma unroll
                      for (int b = 0; b < 4; ++b) v.v[b] = acc[t][4 * q + b];
                      *reinterpret_cast<q3d_s32x4*>(out + 4 * q) = v;
                    }
                  }

                """
        case let .int8(relu, residual):
            let residualLoad = residual
                ? "      const q3d_vec res = *reinterpret_cast<const q3d_vec*>(residual + offset);\n" : ""
            let residualAdd = residual
                ? "          v = __fmaf_rn(__int2float_rn(q3d_s8(res.w[q], b)), residual_scale, v);\n" : ""
            let reluLine = relu ? "          v = fmaxf(v, 0.0f);\n" : ""
            return """
                  float sc[V], bi[V];
                  #pragma unroll
                  for (int j = 0; j < V; ++j) {
                    sc[j] = scale[c0 + j];
                    bi[j] = bias[c0 + j];
                  }
                  #pragma unroll
                  for (int t = 0; t < T; ++t) {
                    if (ox0 + t >= OUT_W) break;
                    const int offset = (pixel0 + t) * PITCH + c0;

                """ + residualLoad + """
                    q3d_vec packed;
                    #pragma unroll
                    for (int q = 0; q < WORDS; ++q) {
                      uint32_t word = 0;
                      #pragma unroll
                      for (int b = 0; b < 4; ++b) {
                        const int j = 4 * q + b;
                        float v = __fmaf_rn(__int2float_rn(acc[t][j]), sc[j], bi[j]);

                """ + residualAdd + reluLine + """
                        int r = __float2int_rn(v);
                        r = r < -128 ? -128 : (r > 127 ? 127 : r);
                        word |= (uint32_t)(r & 0xff) << (8 * b);
                      }
                      packed.w[q] = word;
                    }
                    *reinterpret_cast<q3d_vec*>(output + offset) = packed;
                  }

                """
        }
    }
}
