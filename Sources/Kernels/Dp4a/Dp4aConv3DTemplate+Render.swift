import ConvGeometry
import FoundationEssentials
import Tensors

/// Rendering: configuration -> CUDA C++ for NVRTC.
extension Dp4aConv3DTemplate {
    /// Renders the kernel for `workload` with `config`, writing `output`.
    ///
    /// Pure and deterministic: the same arguments give the same bytes. Pass a configuration from
    /// ``space(for:on:)``; any other that fits the workload renders too, but only valid points are
    /// promised to compile and launch (see ``validate(_:for:on:)``).
    ///
    /// The kernel reads the input as NCDHW4c int8 (one 32-bit word per 4 channels, `ceil(C/4)` chunks,
    /// the last zero-padded) and the weights as OIDHW4o4i int8 (`[ceil(K/4)][ceil(C/groups/4)][kd][kh][kw]`
    /// blocks of 16 bytes: four output channels' words of four input channels), and writes NCDHW4c:
    /// int32 (four per 16 bytes) or int8 (four per word) requantized exactly as `Epilogue.apply`.
    /// Channels past K in the last chunk are written as 0.
    public static func render(
        workload: Conv3DParameters, config: Dp4aConv3DConfig, output: OutputKind
    ) throws(KernelsError) -> KernelSource {
        let plan = try Dp4aConv3DPlan(workload: workload, config: config)
        let parameters = kernelParameters(plan, output: output)
        let name = kernelName(plan, output: output)
        var w = CUDAWriter()
        header(&w, plan, output: output, parameters: parameters)
        dp4aFunction(&w)
        if case let .int8(relu, residual) = output { requantizeFunction(&w, relu: relu, residual: residual) }
        w.line("extern \"C\" __global__ void __launch_bounds__(\(plan.threads)) \(name)(")
        for p in parameters.dropLast() { w.line(cDeclaration(p) + ",") }
        w.open(cDeclaration(parameters[parameters.count - 1]) + ")")
        constants(&w, plan)
        coordinates(&w, plan)
        mainLoop(&w, plan)
        epilogue(&w, plan, output: output)
        w.close()
        return KernelSource(
            template: Self.name, templateVersion: version, name: name, text: w.text,
            grid: plan.resources.grid, block: plan.resources.block, dynamicSharedBytes: 0,
            staticSharedBytes: plan.resources.sharedBytes, parameters: parameters)
    }

    /// `q3d_dp4a_` + the configuration in short + a hash of template version, workload and output
    /// kind, so that different kernels never share a name.
    static func kernelName(_ plan: Dp4aConv3DPlan, output: OutputKind) -> String {
        let c = plan.config
        let splits = zip(["f", "d", "y", "x"], c.outputSplits).map { "\($0)\($1)" }
        let reductions = zip(["rc", "rd", "ry", "rx"], c.reductionSplits).map { "\($0)\($1)" }
        let rest = ["o" + c.reorderInner.map(String.init).joined(), "fyx\(c.fuseYX ? 1 : 0)", "u\(c.autoUnrollMaxStep)"]
        let key = "\(Self.name) v\(version) \(json(plan.geometry.workload)) \(json(c)) \(output)"
        return (["q3d_dp4a"] + splits + reductions + rest + [StableHash.hex(key)]).joined(separator: "_")
    }

    /// Sorted-key JSON of `value`; Q3D's workload and configuration types always encode.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }

    static func kernelParameters(_ plan: Dp4aConv3DPlan, output: OutputKind) -> [KernelParameter] {
        let g = plan.geometry
        let k = g.workload.outputChannels
        var list = [
            KernelParameter(
                name: "input", role: .input,
                kind: .buffer(element: .int8, count: g.inputBytes, layout: .ncdhwc(block: 4), writable: false)),
            KernelParameter(
                name: "weight", role: .weight,
                kind: .buffer(element: .int8, count: g.weightBytes, layout: .oidhwoi(outBlock: 4, inBlock: 4), writable: false)),
        ]
        switch output {
        case .int32:
            list.append(KernelParameter(
                name: "output", role: .output,
                kind: .buffer(element: .int32, count: g.outputElements, layout: .ncdhwc(block: 4), writable: true)))
        case .int8(_, let residual):
            list.append(KernelParameter(
                name: "output", role: .output,
                kind: .buffer(element: .int8, count: g.outputElements, layout: .ncdhwc(block: 4), writable: true)))
            list.append(KernelParameter(
                name: "scale", role: .scale, kind: .buffer(element: .float32, count: k, layout: nil, writable: false)))
            list.append(KernelParameter(
                name: "bias", role: .bias, kind: .buffer(element: .float32, count: k, layout: nil, writable: false)))
            if residual {
                list.append(KernelParameter(
                    name: "residual", role: .residual,
                    kind: .buffer(element: .int8, count: g.outputElements, layout: .ncdhwc(block: 4), writable: false)))
                list.append(KernelParameter(name: "residual_scale", role: .residualScale, kind: .float32))
            }
        }
        return list
    }

    /// The C declaration of a parameter: int8 NCDHW4c data travels as 32-bit words (`int`), weights
    /// and int32 outputs as 16-byte `int4` vectors.
    static func cDeclaration(_ p: KernelParameter) -> String {
        switch (p.role, p.kind) {
        case (.weight, _): return "    const int4* __restrict__ \(p.name)"
        case (.output, .buffer(.int32, _, _, _)): return "    int4* __restrict__ \(p.name)"
        case (.output, _): return "    int* __restrict__ \(p.name)"
        case (.scale, _), (.bias, _): return "    const float* __restrict__ \(p.name)"
        case (_, .float32): return "    float \(p.name)"
        case (_, .int32): return "    int \(p.name)"
        default: return "    const int* __restrict__ \(p.name)"
        }
    }

    static func header(_ w: inout CUDAWriter, _ plan: Dp4aConv3DPlan, output: OutputKind, parameters: [KernelParameter]) {
        let r = plan.resources
        w.lines([
            "// Q3D kernel template \(name), version \(version)",
            "// workload: \(json(plan.geometry.workload))",
            "// config: \(json(plan.config))",
            "// output: \(output), NCDHW4c",
            "// grid (x, y, z) = \(r.grid), block (x, y, z) = \(r.block), "
                + "static shared bytes = \(r.sharedBytes), dynamic shared bytes = 0",
            "// parameters: " + parameters.map(\.description).joined(separator: "; "),
            "//",
            "// For NVRTC without headers: only built-in types (int, unsigned, float, int4) are used.",
            "",
        ])
    }

    /// `dp4a` as inline PTX rather than the `__dp4a` intrinsic: NVRTC 13's intrinsic fails to compile
    /// ("unsupported operation") under `-G` and `--Ofast-compile`, the PTX instruction never does.
    static func dp4aFunction(_ w: inout CUDAWriter) {
        w.line("// Four int8 x int8 products of a and b added to c (PTX dp4a, sm_61 and later).")
        w.open("static __device__ __forceinline__ int q3d_dp4a(int a, int b, int c)")
        w.line("int d;")
        w.line("asm(\"dp4a.s32.s32 %0, %1, %2, %3;\" : \"=r\"(d) : \"r\"(a), \"r\"(b), \"r\"(c));")
        w.line("return d;")
        w.close()
        w.blank()
    }

    /// The int8 epilogue, operation for operation `ConvGeometry.Epilogue.apply`. Every float operation
    /// is an explicit round-to-nearest intrinsic, so the compiler cannot contract or reorder anything.
    static func requantizeFunction(_ w: inout CUDAWriter, relu: Bool, residual: Bool) {
        let extra = residual ? ", int residual, float residual_scale" : ""
        w.open("static __device__ __forceinline__ int q3d_requantize(int acc, float scale, float bias\(extra))")
        w.line("float v = __fmaf_rn(__int2float_rn(acc), scale, bias);")
        if residual { w.line("v = __fmaf_rn(__int2float_rn(residual), residual_scale, v);") }
        if relu { w.line("v = fmaxf(v, 0.0f);") }
        w.line("const int r = __float2int_rn(v);  // round half to even; NaN gives 0")
        w.line("return r < -128 ? -128 : (r > 127 ? 127 : r);")
        w.close()
        w.blank()
    }
}
