import Tensors

/// The parts of an fp16 tensor-core kernel's text that do not depend on the instruction that
/// multiplies: its parameters, header, fp16 helpers and the bias/ReLU epilogue. The `mma.sync`
/// (``HmmaConv3DTemplate``) and `wgmma` (``HmmaWgmmaConv3DTemplate``) renderers wrap their main loops,
/// taken from the int8 renderers with float accumulators, in these.
struct HalfKernelText {
    let tiling: ImmaTiling
    let output: HmmaOutput
    let template: String
    let version: Int
    let configJSON: String
    /// What the header's first line says the kernel is.
    let summary: String

    var geometry: ImmaConv3DGeometry { tiling.geometry }

    /// `<prefix>_<12 hex digits>`: a stable hash of the template version, workload, configuration and
    /// output.
    func kernelName(prefix: String) -> String {
        "\(prefix)_\(StableHash.hex("\(version) \(geometry.workload) \(configJSON) \(output)", digits: 12))"
    }

    /// The int8 text's shared parts (constants, block setup, loaders, prologue, split-K exchange); its
    /// `output` only feeds `kernelName`, which the fp16 renderers do not use.
    var byteText: ImmaKernelText {
        ImmaKernelText(tiling: tiling, output: .int32, template: template, version: version, configJSON: configJSON)
    }

    /// input (fp16 NDHWC), weight (fp16 ODHWI), bias (float32), output, [workspace, counters].
    var parameters: [KernelParameter] {
        let g = geometry
        func buffer(_ name: String, _ role: KernelParameter.Role, _ element: DType, _ count: Int, _ layout: Layout?, writable: Bool = false) -> KernelParameter {
            KernelParameter(name: name, role: role, kind: .buffer(element: element, count: count, layout: layout, writable: writable))
        }
        let outputElement: DType
        switch output {
        case .float32: outputElement = .float32
        case .float16: outputElement = .float16
        }
        var list = [
            buffer("input_half", .input, .float16, g.inputElements / 2, .ndhwc),
            buffer("weight_half", .weight, .float16, g.weightElements / 2, .odhwi),
            buffer("bias", .bias, .float32, g.outputPitch, nil),
            buffer("output", .output, outputElement, g.outputElements, .ndhwc, writable: true),
        ]
        if tiling.splitK > 1 {
            list.append(buffer("workspace", .workspace, .int32, tiling.workspaceElements, nil, writable: true))
            list.append(buffer("counters", .counters, .int32, tiling.counterElements, nil, writable: true))
        }
        return list
    }

    func header(parameters: [KernelParameter]) -> String {
        let g = geometry
        let t = tiling
        var lines = [
            "// \(template) v\(version): \(summary)",
            "// workload: \(g.workload)",
            "// config: \(configJSON)",
            "// output: \(output)",
            "// gemm: M=\(g.m) N=\(g.outputPitch) K=\(g.reduction / 2) (kd*kh*kw=\(g.taps) x Cp=\(g.inputPitch / 2)); tiles \(t.mTiles)x\(t.nTiles), k-tiles \(t.kTiles)",
            "// launch: grid \(t.grid), block \(t.block), dynamic shared \(t.sharedBytes) bytes",
            "// parameters:",
        ]
        lines += parameters.map { "//   \($0)" }
        lines.append("// Packed layouts: input [N, D, H, W, Cp] fp16, weight [Kp, kd, kh, kw, Cp] fp16, output [N, Do, Ho, Wo, Kp];")
        lines.append("// Cp = C rounded up to 2, Kp = K rounded up to 4, padding zero (bias zero past K).")
        if t.splitK > 1 {
            lines.append("// counters must be zero before the first launch; every launch leaves them zero.")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The kernel's first statements: byte views of the fp16 operands, which the int8 loaders address.
    static let byteViews = """
              // The loaders address the fp16 operands as bytes.
              const int8_t* __restrict__ input = reinterpret_cast<const int8_t*>(input_half);
              const int8_t* __restrict__ weight = reinterpret_cast<const int8_t*>(weight_half);

            """

    static let prelude = #"""
        // d += a * b for a 16x16 fp16 A (row-major) and a 16x8 fp16 B (column-major), fp32 d. With
        // g = lane / 4, t = lane % 4: a[0] row g, k 2t..2t+1; a[1] row g+8; a[2] row g, k 8+2t..; a[3] row
        // g+8, k 8+2t..; b0 column g, k 2t..2t+1; b1 column g, k 8+2t..; d as for m16n8k32. In bytes these
        // are the registers of m16n8k32 s8, so the same ldmatrix.x4 addresses load them.
        Q3D_DEVICE void q3d_mma_f16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
          asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                       : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                       : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
        }
        Q3D_DEVICE void q3d_store_f32x4(float* p, const float (&v)[4]) {
          asm volatile("st.global.v4.f32 [%0], {%1, %2, %3, %4};" :: "l"(p), "f"(v[0]), "f"(v[1]), "f"(v[2]), "f"(v[3]) : "memory");
        }
        // Through L2 only: other blocks wrote the partial sums.
        Q3D_DEVICE void q3d_load_f32x4_cg(const float* p, float (&v)[4]) {
          asm volatile("ld.global.cg.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(v[0]), "=f"(v[1]), "=f"(v[2]), "=f"(v[3]) : "l"(p) : "memory");
        }
        Q3D_DEVICE void q3d_store_f32x2(float* p, float x, float y) {
          asm volatile("st.global.v2.f32 [%0], {%1, %2};" :: "l"(p), "f"(x), "f"(y) : "memory");
        }
        // x and y rounded to nearest-even fp16, x at the lower address (cvt puts its first source in the
        // upper half).
        Q3D_DEVICE void q3d_store_f16x2(uint16_t* p, float x, float y) {
          uint32_t h;
          asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(h) : "f"(y), "f"(x));
          asm volatile("st.global.b32 [%0], %1;" :: "l"(p), "r"(h) : "memory");
        }
        """#

    /// Thread (g, t) holds rows g and g + 8 at columns 2t, 2t + 1 of each 16x8 fragment (OUT_PITCH is a
    /// multiple of 4, so a pair is inside or outside as a whole): adds the bias, applies ReLU, and stores
    /// the pair as two floats or two fp16 values.
    func epilogue() -> String {
        let relu = output.relu ? "          v0 = fmaxf(v0, 0.0f);\n          v1 = fmaxf(v1, 0.0f);\n" : ""
        let store: String
        switch output {
        case .float32: store = "q3d_store_f32x2(output + m * OUT_PITCH + n, v0, v1);"
        case .float16: store = "q3d_store_f16x2(output + m * OUT_PITCH + n, v0, v1);"
        }
        return """
              const int g = lane >> 2, t4 = lane & 3;
              #pragma unroll
              for (int ni = 0; ni < FRAG_COLS; ++ni) {
                const int n = n0 + frag_col0 + ni * 8 + 2 * t4;
                const bool n_inside = n < OUT_PITCH;
                const float bias0 = n_inside ? bias[n] : 0.0f, bias1 = n_inside ? bias[n + 1] : 0.0f;
                #pragma unroll
                for (int mi = 0; mi < FRAG_ROWS; ++mi)
                  #pragma unroll
                  for (int h = 0; h < 2; ++h) {
                    const int m = m0 + frag_row0 + mi * FRAG_ROW_STEP + g + 8 * h;
                    if (m < GEMM_M && n_inside) {
                      float v0 = acc[mi][ni][2 * h] + bias0, v1 = acc[mi][ni][2 * h + 1] + bias1;

            """ + relu + """
                      \(store)
                    }
                  }
              }

            """
    }
}
