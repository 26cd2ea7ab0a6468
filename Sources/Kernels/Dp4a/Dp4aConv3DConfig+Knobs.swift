/// The mapping between a configuration and the knob values of its ``ConfigSpace``.
extension Dp4aConv3DConfig: TunableConfig {
    public var knobValues: [String: KnobValue] {
        [
            CodingKeys.tileF.rawValue: .split(tileF.factors),
            CodingKeys.tileD.rawValue: .split(tileD.factors),
            CodingKeys.tileY.rawValue: .split(tileY.factors),
            CodingKeys.tileX.rawValue: .split(tileX.factors),
            CodingKeys.tileRC.rawValue: .split(tileRC.factors),
            CodingKeys.tileRD.rawValue: .split(tileRD.factors),
            CodingKeys.tileRY.rawValue: .split(tileRY.factors),
            CodingKeys.tileRX.rawValue: .split(tileRX.factors),
            CodingKeys.reorderInner.rawValue: .permutation(reorderInner),
            CodingKeys.fuseYX.rawValue: .choice(fuseYX ? 1 : 0),
            CodingKeys.autoUnrollMaxStep.rawValue: .choice(autoUnrollMaxStep),
        ]
    }

    public init(knobValues values: [String: KnobValue]) throws(ConfigSpaceError) {
        func factors(_ key: CodingKeys, _ parts: Int) throws(ConfigSpaceError) -> [Int] {
            guard let value = values[key.rawValue] else { throw .missingKnob(key.rawValue) }
            guard case .split(let f) = value, f.count == parts else {
                throw .wrongKind(knob: key.rawValue, value: value.description, expected: "a \(parts)-way split")
            }
            return f
        }
        func tile(_ key: CodingKeys) throws(ConfigSpaceError) -> TileSplit {
            let f = try factors(key, 4)
            return TileSplit(block: f[0], virtualThread: f[1], thread: f[2], inner: f[3])
        }
        func reduction(_ key: CodingKeys) throws(ConfigSpaceError) -> ReductionSplit {
            let f = try factors(key, 2)
            return ReductionSplit(outer: f[0], inner: f[1])
        }
        func choice(_ key: CodingKeys) throws(ConfigSpaceError) -> Int { try values.choice(key) }
        func flag(_ key: CodingKeys) throws(ConfigSpaceError) -> Bool {
            let v = try choice(key)
            guard v == 0 || v == 1 else {
                throw .wrongKind(knob: key.rawValue, value: "\(v)", expected: "0 or 1")
            }
            return v == 1
        }
        let orderKey = CodingKeys.reorderInner.rawValue
        guard let orderValue = values[orderKey] else { throw .missingKnob(orderKey) }
        guard case .permutation(let order) = orderValue else {
            throw .wrongKind(knob: orderKey, value: orderValue.description, expected: "a permutation")
        }
        self.init(
            tileF: try tile(.tileF), tileD: try tile(.tileD), tileY: try tile(.tileY), tileX: try tile(.tileX),
            tileRC: try reduction(.tileRC), tileRD: try reduction(.tileRD),
            tileRY: try reduction(.tileRY), tileRX: try reduction(.tileRX),
            reorderInner: order, fuseYX: try flag(.fuseYX),
            autoUnrollMaxStep: try choice(.autoUnrollMaxStep))
    }
}
