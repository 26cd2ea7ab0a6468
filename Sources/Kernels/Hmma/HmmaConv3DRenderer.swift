import Tensors

/// Renders one fp16 `mma.sync` kernel (``HmmaConv3DTemplate``): the int8 template's constants, block
/// setup, loaders and prologue (``ImmaKernelText``) over byte views of the fp16 operands, a main loop of
/// `ldmatrix.x4` and `mma.sync.m16n8k16` into fp32 accumulators, a float split-K exchange and the
/// bias/ReLU epilogue.
struct HmmaConv3DRenderer {
    let plan: ImmaConv3DPlan
    let output: HmmaOutput

    var config: ImmaConv3DConfig { plan.config }
    var geometry: ImmaConv3DGeometry { plan.geometry }

    var half: HalfKernelText {
        HalfKernelText(
            tiling: plan.tiling, output: output, template: HmmaConv3DTemplate.name, version: HmmaConv3DTemplate.version,
            configJSON: config.json,
            summary: "fp16 implicit-GEMM conv3d, mma.sync m16n8k16 f32 accumulation, cp.async pipeline")
    }

    var name: String {
        let key = "\(HmmaConv3DTemplate.version) \(geometry.workload) \(config.json) \(output)"
        return "hmma_conv3d_\(StableHash.hex(key, digits: 12))"
    }

    func render() -> KernelSource {
        let half = self.half
        let text = half.byteText
        let parameters = half.parameters
        var source = half.header(parameters: parameters)
        source += "\n" + ImmaKernelText.prelude + "\n" + HalfKernelText.prelude + "\n" + ImmaKernelText.kernelMarker + "\n"
        source += "// Byte units: IN_PITCH, GEMM_K, BK, A_VEC and B_VEC count bytes of fp16 data, two per channel.\n"
        let mma = ImmaConv3DRenderer(plan: plan, output: .int32)  // the int8 kernel's warp tiling and main loop
        source += text.constants() + mma.warpConstants() + "\n"
        source += text.signature(name: name, parameters: parameters)
        source += HalfKernelText.byteViews
        source += text.blockSetup() + mma.warpSetup() + text.loaders() + mma.mainLoop(.f32) + text.splitKExchange(.f32)
        source += half.epilogue() + "}\n"
        return KernelSource(
            template: HmmaConv3DTemplate.name, templateVersion: HmmaConv3DTemplate.version, name: name, text: source,
            grid: plan.tiling.grid, block: plan.tiling.block, dynamicSharedBytes: plan.tiling.sharedBytes,
            staticSharedBytes: 0, parameters: parameters)
    }
}
