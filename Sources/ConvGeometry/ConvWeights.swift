/// Rearrangements of convolution weights that leave the convolution's result unchanged.
public enum ConvWeights {
    /// The OIDHW weights `[K, C/G, kd, kh, kw]` of `parameters` (G groups) as weights of the same
    /// convolution with `groups` groups, where `groups` divides G: `[K, C/groups, kd, kh, kw]`, each
    /// filter's own C/G channels at their place among the P·C/G of its new group (P = G / groups) and
    /// zeros elsewhere — block-diagonal, so every output is the same sum. Kernels that pack several
    /// narrow groups into one GEMM read these.
    ///
    /// ```swift
    /// let p = try Conv3DParameters(batch: 1, inputChannels: 4, outputChannels: 4, input: Extent3(uniform: 3),
    ///                              kernel: Extent3(uniform: 1), groups: 4)
    /// try ConvWeights.regrouped([1, 2, 3, 4] as [Int8], parameters: p, into: 1)  // the 4x4 diagonal matrix
    /// ```
    public static func regrouped<T: Numeric>(
        _ weights: [T], parameters p: Conv3DParameters, into groups: Int
    ) throws(ConvGeometryError) -> [T] {
        guard groups >= 1, p.groups % groups == 0 else {
            throw .regrouping(groups: p.groups, into: groups)
        }
        let expected = p.weightShape.reduce(1, *)
        guard weights.count == expected else {
            throw .wrongValueCount(name: "weights", count: weights.count, expected: "\(expected) (\(p.weightShape))")
        }
        let pack = p.groups / groups
        guard pack > 1 else { return weights }
        let perGroup = p.inputChannelsPerGroup, outPerGroup = p.outputChannelsPerGroup, taps = p.kernel.volume
        let wide = perGroup * pack
        var out = [T](repeating: 0, count: p.outputChannels * wide * taps)
        for k in 0..<p.outputChannels {
            // The filter's group g sits at position g % pack of its new group.
            let offset = (k / outPerGroup) % pack * perGroup
            for c in 0..<perGroup {
                let from = (k * perGroup + c) * taps, to = (k * wide + offset + c) * taps
                for t in 0..<taps { out[to + t] = weights[from + t] }
            }
        }
        return out
    }
}
