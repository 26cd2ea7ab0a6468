import ConvGeometry

extension ImmaConv3DTemplate {
    /// A reasonably fast configuration for `workload` on `arch`, valid by construction: the first of a
    /// short list of hand-picked shapes that passes the rules, or else the first valid point of the space.
    ///
    /// The shapes: four warps (six or eight when the channel tile is 144 to 256 wide) with 64-row warp
    /// tiles, a channel tile that covers K when K is at most 192 (128 otherwise), 64-byte k-tiles (32
    /// with 4-byte activation copies, which cost four times the instructions per byte), four stages, the
    /// widest activation copy the channel pitch allows, and split-K when the output tiles would not fill
    /// the GPU once (132 multiprocessors assumed when `arch` does not say), keeping at least 8 k-tiles
    /// per split.
    public static func defaultConfig(for workload: Conv3DParameters, on arch: GPUArchitecture) throws(KernelsError) -> ImmaConv3DConfig {
        let rules = try rules(for: workload, on: arch)
        for candidate in defaultCandidates(rules.geometry, arch: arch) where rules.violations(of: candidate).isEmpty {
            return candidate
        }
        let space = try space(for: workload, on: arch)
        guard let point = space.validPoint(atRank: 0) else {
            throw .unsupportedWorkload(template: name, reason: "no configuration of the space is valid on \(arch)")
        }
        do {
            return try space.config(at: point, as: ImmaConv3DConfig.self)
        } catch {
            throw .space(error)
        }
    }

    /// The hand-picked shapes, best first.
    static func defaultCandidates(_ geometry: ImmaConv3DGeometry, arch: GPUArchitecture) -> [ImmaConv3DConfig] {
        let vector = geometry.inputVectorWidths.max() ?? 4
        let blockK = vector == 4 ? 32 : 64
        let pitch = geometry.groupColumns
        let blockN = pitch > 192 ? 128 : (blockNValues.first { $0 >= pitch } ?? 128)
        let warpsN: Int
        switch blockN {
        case ...48: warpsN = 1
        case 144, 192: warpsN = 3
        case 256: warpsN = 4
        default: warpsN = 2
        }
        let warpsM = blockN <= 48 ? 4 : 2
        var shapes: [(blockM: Int, warpsM: Int, stages: Int)] = [
            (128, warpsM, 4), (128, warpsM, 3), (128, warpsM, 2), (64, warpsM / 2, 4), (64, warpsM / 2, 2), (32, 1, 2),
        ]
        shapes = shapes.filter { $0.warpsM >= 1 }
        return shapes.map { shape in
            var config = ImmaConv3DConfig(
                blockM: shape.blockM, blockN: blockN, blockK: blockK, warpsM: shape.warpsM, warpsN: warpsN,
                stages: shape.stages, inputVectorBytes: vector)
            let tiling = ImmaConv3DPlan(geometry: geometry, config: config).tiling
            config.splitK = defaultSplit(tiles: tiling.tiles, kTiles: tiling.kTiles, arch: arch)
            return config
        }
    }

    /// The largest split-K candidate that brings the blocks up to one per multiprocessor without
    /// leaving fewer than 8 k-tiles per split; 1 when the tiles already fill the GPU.
    static func defaultSplit(tiles: Int, kTiles: Int, arch: GPUArchitecture) -> Int {
        let multiprocessors = arch.multiprocessorCount ?? 132
        guard tiles < multiprocessors else { return 1 }
        let wanted = ImmaConv3DGeometry.ceilDiv(multiprocessors, tiles)
        return splitKValues.last { $0 <= wanted && kTiles / $0 >= 8 } ?? 1
    }
}
