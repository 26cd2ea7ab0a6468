/// The `mma.sync` template's constraints: its rules on each prefix of the knobs (`raster_group` is free).
typealias ImmaConv3DConstraints = PrefixRuleConstraints<ImmaConv3DConfig>

extension PrefixRuleConstraints where Config == ImmaConv3DConfig {
    init(rules: ImmaConv3DRules) {
        let order = ImmaConv3DTemplate.knobOrder
        self.init(
            candidates: order.map(\.1), free: Set(order.indices.filter { order[$0].0 == .rasterGroup }),
            build: { v in
                ImmaConv3DConfig(
                    blockM: v[0], blockN: v[1], blockK: v[4], warpsM: v[2], warpsN: v[3], stages: v[6], splitK: v[7],
                    inputVectorBytes: v[5], rasterGroup: v[8])
            },
            passes: { rules.passes($0, fixed: $1) })
    }
}
