/// Rendering of the kernel body: constants, coordinates, the reduction loops and the epilogue.
extension Dp4aConv3DTemplate {
    /// Loop variable names of the outer and inner reduction loops, in axis order rc, rd, ry, rx.
    static let outerNames = ["rc_o", "rd_o", "ry_o", "rx_o"]
    static let innerNames = ["rc_i", "rd_i", "ry_i", "rx_i"]

    static func constants(_ w: inout CUDAWriter, _ plan: Dp4aConv3DPlan) {
        let g = plan.geometry
        let s = plan.splits
        let (k, st, dl, pad) = (g.kernel, g.stride, g.dilation, g.padBefore)
        w.lines([
            "// Problem: NCDHW4c input of CHUNKS_IN chunks, OIDHW4o4i weights reducing over CHUNKS_RED chunks,",
            "// NCDHW4c output of CHUNKS_OUT chunks.",
            "constexpr int CHUNKS_IN = \(g.inputChunks), D = \(g.input[0]), H = \(g.input[1]), W = \(g.input[2]);",
            "constexpr int CHUNKS_OUT = \(g.outputChunks), DO = \(g.output[0]), HO = \(g.output[1]), WO = \(g.output[2]);",
            "constexpr int CHUNKS_RED = \(g.reductionChunks), KD = \(k[0]), KH = \(k[1]), KW = \(k[2]);",
            "constexpr int SD = \(st[0]), SH = \(st[1]), SW = \(st[2]), DD = \(dl[0]), DH = \(dl[1]), DW = \(dl[2]);",
            "constexpr int PAD_D = \(pad[0]), PAD_H = \(pad[1]), PAD_W = \(pad[2]);",
            "// Output splits: V (virtual threads) x T (threads) x I (inner) = TILE outputs per block.",
        ])
        for (axis, split) in zip(["F", "D", "Y", "X"], s) {
            w.line("constexpr int V\(axis) = \(split.virtualThread), T\(axis) = \(split.thread), "
                + "I\(axis) = \(split.inner), TILE_\(axis) = V\(axis) * T\(axis) * I\(axis);")
        }
        w.lines([
            "constexpr int BF = CHUNKS_OUT / TILE_F, BX = WO / TILE_X;  // blocks along f and x",
            "// Reduction splits (outer x inner) over input chunks and kernel taps.",
            "constexpr int RC_O = \(plan.outer[0]), RC_I = \(plan.inner[0]), RD_O = \(plan.outer[1]), RD_I = \(plan.inner[1]);",
            "constexpr int RY_O = \(plan.outer[2]), RY_I = \(plan.inner[2]), RX_O = \(plan.outer[3]), RX_I = \(plan.inner[3]);",
            "// Input window of a block for one outer step: (tile - 1) * stride + (inner - 1) * dilation + 1.",
            "constexpr int WIN_D = (TILE_D - 1) * SD + (RD_I - 1) * DD + 1;",
            "constexpr int WIN_H = (TILE_Y - 1) * SH + (RY_I - 1) * DH + 1;",
            "constexpr int WIN_W = (TILE_X - 1) * SW + (RX_I - 1) * DW + 1;",
            "constexpr int IN_WORDS = RC_I * WIN_D * WIN_H * WIN_W, W_VECTORS = TILE_F * RC_I * RD_I * RY_I * RX_I;",
            "constexpr int THREADS = \(plan.threads), BLOCK_X = \(plan.resources.block.x), BLOCK_Y = \(plan.resources.block.y);",
            "// Register tile: S spatial outputs per thread, each for VF * IF chunks of 4 channels.",
            "constexpr int S = VD * ID * VY * IY * VX * IX, ACC = VF * IF * 4 * S;",
            "",
            "__shared__ int input_tile[IN_WORDS];",
            "__shared__ int4 weight_tile[W_VECTORS];",
            "",
        ])
    }

    static func coordinates(_ w: inout CUDAWriter, _ plan: Dp4aConv3DPlan) {
        if plan.config.fuseYX {
            w.lines([
                "// Threads: threadIdx.z = f, threadIdx.y = d, threadIdx.x = y * TX + x.",
                "const int tf = threadIdx.z, td = threadIdx.y, ty = threadIdx.x / TX, tx = threadIdx.x % TX;",
            ])
        } else {
            w.lines([
                "// Threads: threadIdx.z = f * TD + d, threadIdx.y = y, threadIdx.x = x.",
                "const int tf = threadIdx.z / TD, td = threadIdx.z % TD, ty = threadIdx.y, tx = threadIdx.x;",
            ])
        }
        w.lines([
            "const int tid = (threadIdx.z * BLOCK_Y + threadIdx.y) * BLOCK_X + threadIdx.x;",
            "// Blocks: blockIdx.z = n * BF + f block, blockIdx.y = d block, blockIdx.x = y block * BX + x block.",
            "const int n = blockIdx.z / BF;",
            "const int f0 = blockIdx.z % BF * TILE_F, d0 = blockIdx.y * TILE_D;",
            "const int y0 = blockIdx.x / BX * TILE_Y, x0 = blockIdx.x % BX * TILE_X;",
        ])
        if plan.geometry.workload.groups > 1 {
            w.lines([
                "// The block's output chunks lie in one group; it reads that group's input chunks.",
                "const int c0 = f0 / \(plan.geometry.outputChunksPerGroup) * CHUNKS_RED;",
            ])
        } else {
            w.line("constexpr int c0 = 0;  // one group")
        }
        w.lines([
            "// First input element of the block's window (negative inside the padding).",
            "const int z0 = d0 * SD - PAD_D, y0_in = y0 * SH - PAD_H, x0_in = x0 * SW - PAD_W;",
            "const int* const input_n = input + (n * CHUNKS_IN + c0) * (D * H * W);",
            "",
            "int acc[ACC];  // [VF * IF][4 channels][S]",
            "#pragma unroll",
            "for (int i = 0; i < ACC; ++i) acc[i] = 0;",
            "",
        ])
    }

    static func mainLoop(_ w: inout CUDAWriter, _ plan: Dp4aConv3DPlan) {
        let order = plan.config.reorderInner
        w.line("// Outer reduction loops; the shared tiles are reloaded inside the last of them.")
        for (depth, axis) in order.enumerated() {
            if let pragma = plan.unrollPragma(steps: plan.outerSteps(from: depth)) { w.line(pragma) }
            let name = outerNames[axis]
            w.open("for (int \(name) = 0; \(name) < \(["RC_O", "RD_O", "RY_O", "RX_O"][axis]); ++\(name))")
        }
        w.line("__syncthreads();  // every thread is done with the previous step's tiles")
        inputLoad(&w, plan)
        weightLoad(&w, plan)
        w.line("__syncthreads();")
        for (depth, axis) in order.enumerated() {
            if let pragma = plan.unrollPragma(steps: plan.innerSteps(from: depth)) { w.line(pragma) }
            let name = innerNames[axis]
            w.open("for (int \(name) = 0; \(name) < \(["RC_I", "RD_I", "RY_I", "RX_I"][axis]); ++\(name))")
        }
        compute(&w)
        for _ in order { w.close() }
        for _ in order { w.close() }
        w.blank()
    }

    /// The cooperative loop head: `count` elements spread over the block's threads, with a bounds test
    /// only when they do not divide evenly.
    private static func cooperativeLoop(_ w: inout CUDAWriter, _ plan: Dp4aConv3DPlan, count: Int, bound: String) {
        let iterations = plan.loadIterations(count)
        w.line(plan.loadUnrollPragma(iterations: iterations))
        w.open("for (int it = 0; it < \(iterations); ++it)")
        w.line("const int i = it * THREADS + tid;")
        if count % plan.threads != 0 { w.open("if (i < \(bound))") }
    }

    private static func closeCooperativeLoop(_ w: inout CUDAWriter, _ plan: Dp4aConv3DPlan, count: Int) {
        if count % plan.threads != 0 { w.close() }
        w.close()
    }

    /// Input window -> shared memory, one word (4 channels) per element; taps in the padding read 0.
    static func inputLoad(_ w: inout CUDAWriter, _ plan: Dp4aConv3DPlan) {
        w.line("// Input window: RC_I chunks x WIN_D x WIN_H x WIN_W words, zero outside the input.")
        cooperativeLoop(&w, plan, count: plan.inputTileWords, bound: "IN_WORDS")
        w.lines([
            "const int c = i / (WIN_D * WIN_H * WIN_W), z = i / (WIN_H * WIN_W) % WIN_D;",
            "const int y = i / WIN_W % WIN_H, x = i % WIN_W;",
            "const int gz = z0 + rd_o * (RD_I * DD) + z;",
            "const int gy = y0_in + ry_o * (RY_I * DH) + y;",
            "const int gx = x0_in + rx_o * (RX_I * DW) + x;",
            "int v = 0;",
            "if ((unsigned)gz < (unsigned)D && (unsigned)gy < (unsigned)H && (unsigned)gx < (unsigned)W)",
            "  v = input_n[(((rc_o * RC_I + c) * D + gz) * H + gy) * W + gx];",
            "input_tile[i] = v;",
        ])
        closeCooperativeLoop(&w, plan, count: plan.inputTileWords)
    }

    /// Weight tile -> shared memory, one 16-byte vector (4 output x 4 input channels) per element.
    static func weightLoad(_ w: inout CUDAWriter, _ plan: Dp4aConv3DPlan) {
        w.line("// Weights: TILE_F chunks x RC_I chunks x RD_I x RY_I x RX_I taps, 16 bytes each.")
        cooperativeLoop(&w, plan, count: plan.weightTileVectors, bound: "W_VECTORS")
        w.lines([
            "const int f = i / (RC_I * RD_I * RY_I * RX_I), c = i / (RD_I * RY_I * RX_I) % RC_I;",
            "const int kz = i / (RY_I * RX_I) % RD_I, ky = i / RX_I % RY_I, kx = i % RX_I;",
            "weight_tile[i] = weight[((((f0 + f) * CHUNKS_RED + rc_o * RC_I + c) * KD + rd_o * RD_I + kz) * KH",
            "                         + ry_o * RY_I + ky) * KW + rx_o * RX_I + kx];",
        ])
        closeCooperativeLoop(&w, plan, count: plan.weightTileVectors)
    }

    /// One inner reduction step: the thread's S input words, then per output chunk one int4 of
    /// weights and 4 x S dp4a.
    static func compute(_ w: inout CUDAWriter) {
        w.line("int a[S];")
        w.line("#pragma unroll")
        w.open("for (int jd = 0; jd < VD * ID; ++jd)")
        w.line("#pragma unroll")
        w.open("for (int jy = 0; jy < VY * IY; ++jy)")
        w.line("#pragma unroll")
        w.open("for (int jx = 0; jx < VX * IX; ++jx)")
        w.lines([
            "const int z = ((jd / ID * TD + td) * ID + jd % ID) * SD + rd_i * DD;",
            "const int y = ((jy / IY * TY + ty) * IY + jy % IY) * SH + ry_i * DH;",
            "const int x = ((jx / IX * TX + tx) * IX + jx % IX) * SW + rx_i * DW;",
            "a[(jd * (VY * IY) + jy) * (VX * IX) + jx] = input_tile[((rc_i * WIN_D + z) * WIN_H + y) * WIN_W + x];",
        ])
        w.close()
        w.close()
        w.close()
        w.line("#pragma unroll")
        w.open("for (int jf = 0; jf < VF * IF; ++jf)")
        w.lines([
            "const int f = (jf / IF * TF + tf) * IF + jf % IF;",
            "const int4 b = weight_tile[(((f * RC_I + rc_i) * RD_I + rd_i) * RY_I + ry_i) * RX_I + rx_i];",
            "#pragma unroll",
        ])
        w.open("for (int s = 0; s < S; ++s)")
        w.lines([
            "acc[(jf * 4 + 0) * S + s] = q3d_dp4a(a[s], b.x, acc[(jf * 4 + 0) * S + s]);",
            "acc[(jf * 4 + 1) * S + s] = q3d_dp4a(a[s], b.y, acc[(jf * 4 + 1) * S + s]);",
            "acc[(jf * 4 + 2) * S + s] = q3d_dp4a(a[s], b.z, acc[(jf * 4 + 2) * S + s]);",
            "acc[(jf * 4 + 3) * S + s] = q3d_dp4a(a[s], b.w, acc[(jf * 4 + 3) * S + s]);",
        ])
        w.close()
        w.close()
    }
}
