/// Renders one imma kernel: a header naming the template, version, workload and configuration; the
/// device prelude of PTX helpers; the problem and tile constants; and the kernel, whose body is fixed
/// text driven by those constants (the few optional parts — split-K, residual, ReLU, int8 or int32
/// output — are chosen here).
struct ImmaConv3DRenderer {
    let plan: ImmaConv3DPlan
    let output: OutputKind

    var geometry: ImmaConv3DGeometry { plan.geometry }
    var config: ImmaConv3DConfig { plan.config }

    func render() -> KernelSource {
        let parameters = self.parameters
        let identity = "\(ImmaConv3DTemplate.version) \(geometry.workload) \(config.json) \(output)"
        let name = "imma_conv3d_\(StableHash.hex(identity, digits: 12))"
        var text = header(parameters: parameters)
        text += "\n" + Self.prelude + "\n\n" + Self.kernelMarker + "\n"
        text += constants() + "\n"
        text += kernel(name: name, parameters: parameters)
        return KernelSource(
            template: ImmaConv3DTemplate.name, templateVersion: ImmaConv3DTemplate.version, name: name, text: text,
            grid: plan.grid, block: plan.block, dynamicSharedBytes: plan.sharedBytes, staticSharedBytes: 0,
            parameters: parameters)
    }

    /// The kernel's parameters in declaration order: input, weight, [scale, bias, [residual,
    /// residual_scale]], output, [workspace, counters].
    var parameters: [KernelParameter] {
        let g = geometry
        var list: [KernelParameter] = [
            KernelParameter(name: "input", role: .input, kind: .buffer(element: .int8, count: g.inputElements, layout: .ndhwc, writable: false)),
            KernelParameter(name: "weight", role: .weight, kind: .buffer(element: .int8, count: g.weightElements, layout: .odhwi, writable: false)),
        ]
        switch output {
        case .int32:
            list.append(KernelParameter(name: "output", role: .output, kind: .buffer(element: .int32, count: g.outputElements, layout: .ndhwc, writable: true)))
        case .int8(_, let residual):
            list.append(KernelParameter(name: "scale", role: .scale, kind: .buffer(element: .float32, count: g.outputPitch, layout: nil, writable: false)))
            list.append(KernelParameter(name: "bias", role: .bias, kind: .buffer(element: .float32, count: g.outputPitch, layout: nil, writable: false)))
            if residual {
                list.append(KernelParameter(name: "residual", role: .residual, kind: .buffer(element: .int8, count: g.outputElements, layout: .ndhwc, writable: false)))
                list.append(KernelParameter(name: "residual_scale", role: .residualScale, kind: .float32))
            }
            list.append(KernelParameter(name: "output", role: .output, kind: .buffer(element: .int8, count: g.outputElements, layout: .ndhwc, writable: true)))
        }
        if config.splitK > 1 {
            list.append(KernelParameter(name: "workspace", role: .workspace, kind: .buffer(element: .int32, count: plan.workspaceElements, layout: nil, writable: true)))
            list.append(KernelParameter(name: "counters", role: .counters, kind: .buffer(element: .int32, count: plan.counterElements, layout: nil, writable: true)))
        }
        return list
    }

    func header(parameters: [KernelParameter]) -> String {
        let g = geometry
        var lines = [
            "// \(ImmaConv3DTemplate.name) v\(ImmaConv3DTemplate.version): int8 implicit-GEMM conv3d, mma.sync m16n8k32, cp.async pipeline",
            "// workload: \(g.workload)",
            "// config: \(config.json)",
            "// output: \(output)",
            "// gemm: M=\(g.m) N=\(g.outputPitch) K=\(g.reduction) (kd*kh*kw=\(g.taps) x Cp=\(g.inputPitch)); tiles \(plan.mTiles)x\(plan.nTiles), k-tiles \(plan.kTiles)",
            "// launch: grid \(plan.grid), block \(plan.block), dynamic shared \(plan.sharedBytes) bytes",
            "// parameters:",
        ]
        lines += parameters.map { "//   \($0)" }
        lines.append("// Packed layouts: input [N, D, H, W, Cp], weight [Kp, kd, kh, kw, Cp], output [N, Do, Ho, Wo, Kp];")
        lines.append("// Cp = C and Kp = K rounded up to 4, padding zero (scale and bias zero past K).")
        if config.splitK > 1 {
            lines.append("// counters must be zero before the first launch; every launch leaves them zero.")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The problem and tile as compile-time constants: every division in the kernel is by a constant.
    func constants() -> String {
        let w = geometry.workload
        let c = config
        let chunks = c.blockK / 16
        let swizzleShift = chunks == 8 ? 0 : (chunks == 4 ? 1 : 2)
        return """
            // Problem: input [BATCH, IN_D, IN_H, IN_W, IN_PITCH], output [BATCH, OUT_D, OUT_H, OUT_W, OUT_PITCH].
            constexpr int BATCH = \(w.batch), IN_D = \(w.input.depth), IN_H = \(w.input.height), IN_W = \(w.input.width), IN_PITCH = \(geometry.inputPitch);
            constexpr int OUT_D = \(w.output.depth), OUT_H = \(w.output.height), OUT_W = \(w.output.width), OUT_PITCH = \(geometry.outputPitch);
            constexpr int KER_D = \(w.kernel.depth), KER_H = \(w.kernel.height), KER_W = \(w.kernel.width);
            constexpr int STRIDE_D = \(w.stride.depth), STRIDE_H = \(w.stride.height), STRIDE_W = \(w.stride.width);
            constexpr int DIL_D = \(w.dilation.depth), DIL_H = \(w.dilation.height), DIL_W = \(w.dilation.width);
            constexpr int PAD_D = \(w.padding.front), PAD_H = \(w.padding.top), PAD_W = \(w.padding.left);
            // Implicit GEMM: GEMM_M output pixels x OUT_PITCH channels, reduction GEMM_K = taps x IN_PITCH.
            constexpr int GEMM_M = \(geometry.m), GEMM_K = \(geometry.reduction);
            static_assert(GEMM_M == BATCH * OUT_D * OUT_H * OUT_W && GEMM_K == KER_D * KER_H * KER_W * IN_PITCH, "GEMM view");

            // Tiles.
            constexpr int BM = \(c.blockM), BN = \(c.blockN), BK = \(c.blockK), STAGES = \(c.stages), SPLIT_K = \(c.splitK);
            constexpr int WARPS_M = \(c.warpsM), WARPS_N = \(c.warpsN), THREADS = \(c.threads);
            constexpr int WM = BM / WARPS_M, WN = BN / WARPS_N;  // warp tile
            constexpr int MI = WM / 16, NI = WN / 8;             // mma tiles per warp tile
            constexpr int M_TILES = \(plan.mTiles), N_TILES = \(plan.nTiles), K_TILES = \(plan.kTiles), RASTER = \(c.rasterGroup);
            constexpr int A_VEC = \(c.inputVectorBytes), B_VEC = \(geometry.weightVectorBytes);  // cp.async widths
            constexpr int A_BYTES = BM * BK, STAGE_BYTES = (BM + BN) * BK;
            // Shared tiles are rows of BK bytes, i.e. CHUNKS 16-byte chunks. ldmatrix reads the same chunk of 8
            // consecutive rows at once; XOR-ing the chunk index with bits of the row (above SWIZZLE_SHIFT) puts
            // those 8 chunks in 8 different 16-byte bank groups of a 128-byte line.
            constexpr int CHUNKS = BK / 16, SWIZZLE_SHIFT = \(swizzleShift);

            // Byte offset of byte `byte` of row `row` in a swizzled tile.
            Q3D_DEVICE int q3d_tile_offset(int row, int byte) {
              return row * BK + ((((byte >> 4) ^ (row >> SWIZZLE_SHIFT)) & (CHUNKS - 1)) << 4) + (byte & 15);
            }

            """
    }
}
