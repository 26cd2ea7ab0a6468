/// Rendering of the epilogue: each thread writes its VF·IF chunks at its S output positions.
extension Dp4aConv3DTemplate {
    static func epilogue(_ w: inout CUDAWriter, _ plan: Dp4aConv3DPlan, output: OutputKind) {
        // Channels past K exist only in the last chunk, and only when K is not a multiple of 4.
        let k = plan.geometry.workload.outputChannels
        let ragged = k % 4 != 0
        w.line("// Epilogue: NCDHW4c, one 4-channel chunk per store.")
        if ragged, case .int8 = output {
            w.line("constexpr int K = \(k);  // channels past K in the last chunk are written as 0")
        }
        w.line("#pragma unroll")
        w.open("for (int jf = 0; jf < VF * IF; ++jf)")
        w.line("const int kc = f0 + (jf / IF * TF + tf) * IF + jf % IF;")
        var requantize: (relu: Bool, residual: Bool)?
        if case let .int8(relu, residual) = output { requantize = (relu, residual) }
        if requantize != nil {
            w.line("float sc[4], bi[4];")
            w.line("#pragma unroll")
            w.open("for (int j = 0; j < 4; ++j)")
            if ragged {
                w.line("sc[j] = kc * 4 + j < K ? scale[kc * 4 + j] : 0.0f;")
                w.line("bi[j] = kc * 4 + j < K ? bias[kc * 4 + j] : 0.0f;")
            } else {
                w.line("sc[j] = scale[kc * 4 + j];")
                w.line("bi[j] = bias[kc * 4 + j];")
            }
            w.close()
        }
        w.line("#pragma unroll")
        w.open("for (int jd = 0; jd < VD * ID; ++jd)")
        w.line("#pragma unroll")
        w.open("for (int jy = 0; jy < VY * IY; ++jy)")
        w.line("#pragma unroll")
        w.open("for (int jx = 0; jx < VX * IX; ++jx)")
        w.lines([
            "const int od = d0 + (jd / ID * TD + td) * ID + jd % ID;",
            "const int oy = y0 + (jy / IY * TY + ty) * IY + jy % IY;",
            "const int ox = x0 + (jx / IX * TX + tx) * IX + jx % IX;",
            "const int o = (((n * CHUNKS_OUT + kc) * DO + od) * HO + oy) * WO + ox;",
            "const int s = (jd * (VY * IY) + jy) * (VX * IX) + jx;",
        ])
        if let requantize {
            if requantize.residual { w.line("const unsigned r = (unsigned)residual[o];") }
            w.line("unsigned packed = 0u;")
            w.line("#pragma unroll")
            w.open("for (int j = 0; j < 4; ++j)")
            var call = "q3d_requantize(acc[(jf * 4 + j) * S + s], sc[j], bi[j]"
            if requantize.residual {
                w.line("int rj = (int)((r >> (8 * j)) & 255u);")
                w.line("rj -= (rj & 128) << 1;  // sign-extend the byte")
                call += ", rj, residual_scale"
            }
            call += ")"
            w.line("const int q = " + (ragged ? "kc * 4 + j < K ? \(call) : 0;" : "\(call);"))
            w.line("packed |= ((unsigned)q & 255u) << (8 * j);")
            w.close()
            w.line("output[o] = (int)packed;")
        } else {
            w.lines([
                "output[o] = make_int4(acc[(jf * 4 + 0) * S + s], acc[(jf * 4 + 1) * S + s],",
                "                      acc[(jf * 4 + 2) * S + s], acc[(jf * 4 + 3) * S + s]);",
            ])
        }
        w.close()
        w.close()
        w.close()
        w.close()
    }
}
