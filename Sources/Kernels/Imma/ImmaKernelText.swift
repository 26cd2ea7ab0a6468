import Tensors

/// The parts of an imma kernel's text that do not depend on the instruction that multiplies: the
/// header, the parameters, the problem and tile constants, the block's place in the grid, the `cp.async`
/// loaders, the split-K exchange and the epilogue. The `mma.sync` and `wgmma` renderers wrap their
/// main loops in these.
struct ImmaKernelText {
    let tiling: ImmaTiling
    let output: OutputKind
    /// The template's name and version and the configuration's JSON, for the header and the kernel name.
    let template: String
    let version: Int
    let configJSON: String

    var geometry: ImmaConv3DGeometry { tiling.geometry }

    /// `<prefix>_<12 hex digits>`: a stable hash of the template version, workload, configuration and
    /// output kind.
    func kernelName(prefix: String) -> String {
        "\(prefix)_\(StableHash.hex("\(version) \(geometry.workload) \(configJSON) \(output)", digits: 12))"
    }

    /// The kernel's parameters in declaration order: input, weight, [scale, bias, [residual,
    /// residual_scale]], output, [workspace, counters].
    var parameters: [KernelParameter] {
        let g = geometry
        func buffer(_ name: String, _ role: KernelParameter.Role, _ element: DType, _ count: Int, _ layout: Layout?, writable: Bool = false) -> KernelParameter {
            KernelParameter(name: name, role: role, kind: .buffer(element: element, count: count, layout: layout, writable: writable))
        }
        var weight = buffer("weight", .weight, .int8, g.weightElements, .odhwi)
        if g.groupPack > 1 { weight.weightGroups = g.groups }
        var list = [buffer("input", .input, .int8, g.inputElements, .ndhwc), weight]
        switch output {
        case .int32:
            list.append(buffer("output", .output, .int32, g.outputElements, .ndhwc, writable: true))
        case .int8(_, let residual):
            list.append(buffer("scale", .scale, .float32, g.outputPitch, nil))
            list.append(buffer("bias", .bias, .float32, g.outputPitch, nil))
            if residual {
                list.append(buffer("residual", .residual, .int8, g.outputElements, .ndhwc))
                list.append(KernelParameter(name: "residual_scale", role: .residualScale, kind: .float32))
            }
            list.append(buffer("output", .output, .int8, g.outputElements, .ndhwc, writable: true))
        }
        if tiling.exchangesPartials {
            list.append(buffer("workspace", .workspace, .int32, tiling.workspaceElements, nil, writable: true))
            list.append(buffer("counters", .counters, .int32, tiling.counterElements, nil, writable: true))
        }
        return list
    }

    /// The opening comment: template, version, workload, configuration, output, GEMM view, launch,
    /// parameters and packed layouts.
    func header(summary: String, parameters: [KernelParameter]) -> String {
        let g = geometry
        let gemm = g.isGrouped
            ? "// gemm per group (\(g.groups) groups): M=\(g.m) N=K/G=\(g.groupColumns) K=\(g.reduction) (kd*kh*kw=\(g.taps) x C/G=\(g.reductionChannels)); tiles \(tiling.mTiles)x\(tiling.nTiles) (\(tiling.nTilesPerGroup) per group), k-tiles \(tiling.kTiles)"
            : "// gemm: M=\(g.m) N=\(g.outputPitch) K=\(g.reduction) (kd*kh*kw=\(g.taps) x Cp=\(g.inputPitch)); tiles \(tiling.mTiles)x\(tiling.nTiles), k-tiles \(tiling.kTiles)"
        var lines = [
            "// \(template) v\(version): \(summary)",
            "// workload: \(g.workload)",
            "// config: \(configJSON)",
            "// output: \(output)",
            gemm,
            "// launch: grid \(tiling.grid), block \(tiling.block), dynamic shared \(tiling.sharedBytes) bytes",
            "// parameters:",
        ]
        lines += parameters.map { "//   \($0)" }
        if g.groupPack > 1 {
            lines.append("// Groups packed: \(g.groupPack) of the convolution's \(g.workload.groups) groups share a GEMM over block-diagonal weights (zero")
            lines.append("// outside each filter's own C/G channels): the kernel computes the convolution with \(g.groups) group(s).")
        }
        if g.isGrouped {
            lines.append("// Packed layouts: input [N, D, H, W, Cp], weight [K, kd, kh, kw, C/G], output [N, Do, Ho, Wo, Kp];")
            lines.append("// Cp = C and Kp = K rounded up to 4, padding zero (the kernel writes the output's padding channels as zeros).")
        } else {
            lines.append("// Packed layouts: input [N, D, H, W, Cp], weight [Kp, kd, kh, kw, Cp], output [N, Do, Ho, Wo, Kp];")
            lines.append("// Cp = C and Kp = K rounded up to 4, padding zero (scale and bias zero past K).")
        }
        if tiling.exchangesPartials {
            lines.append("// counters must be zero before the first launch; every launch leaves them zero.")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The problem and the block tile as compile-time constants: every division in the kernel is by a
    /// constant.
    func constants() -> String {
        let w = geometry.workload
        let t = tiling
        return """
            // Problem: input [BATCH, IN_D, IN_H, IN_W, IN_PITCH], output [BATCH, OUT_D, OUT_H, OUT_W, OUT_PITCH].
            constexpr int BATCH = \(w.batch), IN_D = \(w.input.depth), IN_H = \(w.input.height), IN_W = \(w.input.width), IN_PITCH = \(geometry.inputPitch);
            constexpr int OUT_D = \(w.output.depth), OUT_H = \(w.output.height), OUT_W = \(w.output.width), OUT_PITCH = \(geometry.outputPitch);
            constexpr int KER_D = \(w.kernel.depth), KER_H = \(w.kernel.height), KER_W = \(w.kernel.width);
            constexpr int STRIDE_D = \(w.stride.depth), STRIDE_H = \(w.stride.height), STRIDE_W = \(w.stride.width);
            constexpr int DIL_D = \(w.dilation.depth), DIL_H = \(w.dilation.height), DIL_W = \(w.dilation.width);
            constexpr int PAD_D = \(w.padding.front), PAD_H = \(w.padding.top), PAD_W = \(w.padding.left);
            \(gemmConstants())

            // Block tile.
            constexpr int BM = \(t.blockM), BN = \(t.blockN), BK = \(t.blockK), STAGES = \(t.stages), SPLIT_K = \(t.splitK), THREADS = \(t.threads);
            constexpr int M_TILES = \(t.mTiles), N_TILES = \(t.nTiles), K_TILES = \(t.kTiles), RASTER = \(t.rasterGroup);\(geometry.isGrouped ? "\nconstexpr int N_TILES_PER_GROUP = \(t.nTilesPerGroup);  // N_TILES = GROUPS x N_TILES_PER_GROUP" : "")
            constexpr int A_VEC = \(t.inputVectorBytes), B_VEC = \(geometry.weightVectorBytes);  // cp.async widths
            \(stageConstants())
            // Shared tiles are rows of BK bytes, i.e. CHUNKS 16-byte chunks. ldmatrix reads the same chunk of 8
            // consecutive rows at once; XOR-ing the chunk index with bits of the row (above SWIZZLE_SHIFT) puts
            // those 8 chunks in 8 different 16-byte bank groups of a 128-byte line. (This is also the 32-, 64-
            // and 128-byte swizzle of wgmma's K-major shared-memory layouts.)
            constexpr int CHUNKS = BK / 16, SWIZZLE_SHIFT = \(t.swizzleShift);

            // Byte offset of byte `byte` of row `row` in a swizzled tile.
            Q3D_DEVICE int q3d_tile_offset(int row, int byte) {
              return row * BK + ((((byte >> 4) ^ (row >> SWIZZLE_SHIFT)) & (CHUNKS - 1)) << 4) + (byte & 15);
            }

            """
    }

    /// The stage ring's sizes: A and B tiles per stage, or for resident weights A tiles only, the
    /// weights (B_BYTES per k-tile) after the ring, and the persistent grid.
    func stageConstants() -> String {
        if let blocks = tiling.streamKBlocks {
            return """
                constexpr int A_BYTES = BM * BK, STAGE_BYTES = (BM + BN) * BK;
                // Stream-K: GRID_BLOCKS blocks share out WORK = M_TILES x N_TILES x K_TILES k-tiles; block b takes
                // [q3d_work_start(b), q3d_work_start(b + 1)).
                constexpr int GRID_BLOCKS = \(blocks), WORK = M_TILES * N_TILES * K_TILES;
                static_assert(GRID_BLOCKS <= WORK, "every block has work");
                Q3D_DEVICE int q3d_work_start(int b) { return (int)((long long)b * WORK / GRID_BLOCKS); }
                """
        }
        guard let blocks = tiling.persistentBlocks else { return "constexpr int A_BYTES = BM * BK, STAGE_BYTES = (BM + BN) * BK;" }
        return """
            constexpr int A_BYTES = BM * BK, STAGE_BYTES = BM * BK, B_BYTES = BN * BK;  // stages of A; the weights stay resident
            constexpr int GRID_BLOCKS = \(blocks), M_STRIDE = GRID_BLOCKS / N_TILES;  // persistent: blocks per channel tile
            """
    }

    /// The implicit GEMM's constants: one GEMM over all channels, or one per group of GROUP_C input and
    /// GROUP_K output channels.
    func gemmConstants() -> String {
        guard geometry.isGrouped else {
            return """
                // Implicit GEMM: GEMM_M output pixels x OUT_PITCH channels, reduction GEMM_K = taps x IN_PITCH.
                constexpr int GEMM_M = \(geometry.m), GEMM_K = \(geometry.reduction);
                static_assert(GEMM_M == BATCH * OUT_D * OUT_H * OUT_W && GEMM_K == KER_D * KER_H * KER_W * IN_PITCH, "GEMM view");
                """
        }
        let w = geometry.workload
        return """
            // Grouped: GROUPS independent implicit GEMMs side by side. Group g reads input channels
            // [g GROUP_C, (g + 1) GROUP_C), filters [g GROUP_K, (g + 1) GROUP_K) and writes those output channels.
            constexpr int GROUPS = \(geometry.groups), GROUP_C = \(geometry.reductionChannels), GROUP_K = \(geometry.groupColumns), OUT_K = \(w.outputChannels);
            // Per group: GEMM_M output pixels x GROUP_K channels, reduction GEMM_K = taps x GROUP_C.
            constexpr int GEMM_M = \(geometry.m), GEMM_K = \(geometry.reduction);
            static_assert(GEMM_M == BATCH * OUT_D * OUT_H * OUT_W && GEMM_K == KER_D * KER_H * KER_W * GROUP_C, "GEMM view");
            static_assert(GROUPS * GROUP_C <= IN_PITCH && GROUPS * GROUP_K == OUT_K && OUT_K <= OUT_PITCH, "groups");
            static_assert(GROUP_C % 4 == 0, "a group's channels start 4-byte aligned");
            """
    }

    /// `extern "C" __global__ void __launch_bounds__(THREADS, minBlocks) name(parameters) {`
    func signature(name: String, parameters: [KernelParameter], minBlocks: Int = 1) -> String {
        "extern \"C\" __global__ void __launch_bounds__(THREADS, \(minBlocks))\n\(name)("
            + parameters.map(Self.declaration).joined(separator: ", ") + ") {\n"
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

    /// The block's first column `n0`; a grouped kernel decodes its group from the n-tile index, and its
    /// `n0` counts from the group's first filter.
    func tileColumns() -> String {
        guard geometry.isGrouped else { return "  const int n0 = (in_panel / panel_rows) * BN;" }
        return """
              const int n_tile = in_panel / panel_rows;
              const int group = n_tile / N_TILES_PER_GROUP;
              const int n0 = (n_tile - group * N_TILES_PER_GROUP) * BN;  // within the group's GROUP_K columns
            """
    }

    /// The thread's lane and warp, and the block's output tile and k-tile range; `ring_base` is the
    /// shared address of stage 0, aligned as the tiling asks.
    func blockSetup() -> String {
        let align = tiling.sharedAlignment
        let ring = align > 128
            ? "(q3d_shared_address(smem) + \(align - 1)) & ~\(align - 1)u;  // wgmma's swizzle atoms need \(align)-byte alignment"
            : "q3d_shared_address(smem);"
        return """
              Q3D_SHARED(smem);
              const uint32_t ring_base = \(ring)
              const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;

              // Rasterization: blocks walk panels of RASTER m-tiles, all n-tiles of a panel before the next, so
              // that the blocks running together share activation and weight tiles in L2.
              const int panel = blockIdx.x / (RASTER * N_TILES);
              const int in_panel = blockIdx.x - panel * (RASTER * N_TILES);
              const int panel_rows = M_TILES - panel * RASTER < RASTER ? M_TILES - panel * RASTER : RASTER;
              const int m0 = (panel * RASTER + in_panel % panel_rows) * BM;
            \(tileColumns())
              // Split-K: this block reduces k-tiles [k_begin, k_begin + k_count).
              const int split = blockIdx.y;
              const int k_begin = split * K_TILES / SPLIT_K;
              const int k_count = (split + 1) * K_TILES / SPLIT_K - k_begin;

            """
    }

    /// `statement` for every accumulator `acc[mb][j][r]` (MB x NB x 4, unrolled), as lines indented by `indent`
    /// spaces, each ending in a newline.
    static func eachAccumulator(_ statement: String, indent: Int) -> String {
        let lines = [
            "#pragma unroll", "for (int mb = 0; mb < MB; ++mb)", "  #pragma unroll", "  for (int j = 0; j < NB; ++j)",
            "    #pragma unroll", "    for (int r = 0; r < 4; ++r) \(statement)",
        ]
        return lines.map { String(repeating: " ", count: indent) + $0 + "\n" }.joined()
    }

    /// `text` with every non-empty line indented two more spaces (to nest a rendered block one level deeper).
    static func indented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
    }
}
