import Tensors
import XCTest

/// OIDHW <-> OIDHW[bo]o[bi]i and OIDHW <-> ODHWI, over every K and every C in 1...33.
final class WeightPackingTests: XCTestCase {
    /// Distinct kernel extents, so that a swapped kd/kh/kw would misplace elements.
    let (kd, kh, kw) = (2, 1, 3)

    /// Every K in 1...33 against C at and around the blocks' edges, and every C against such K:
    /// the whole square is 3x slower and tells nothing more, as K and C are packed independently.
    var channelPairs: [(k: Int, c: Int)] {
        let edges = [1, 3, 4, 5, 16, 17, 31, 32, 33]
        return (1...33).flatMap { k in edges.map { (k, $0) } }
            + (1...33).filter { !edges.contains($0) }.flatMap { c in edges.map { ($0, c) } }
    }

    func testOIDHWoiPlacesEveryChannelCount() throws {
        var generator = SeededGenerator(seed: testSeed)
        for (outBlock, inBlock) in [(4, 4), (32, 4), (1, 32)] {
            for (k, c) in channelPairs {
                let weight = try Tensor<Int8>.randomNonZero(shape: [k, c, kd, kh, kw], layout: .oidhw, using: &generator)
                try checkOIDHWoi(weight, outBlock: outBlock, inBlock: inBlock,
                                 note: "\(outBlock)o\(inBlock)i K=\(k) C=\(c) seed=\(testSeed)")
            }
        }
    }

    func testODHWIPlacesEveryChannelCount() throws {
        var generator = SeededGenerator(seed: testSeed)
        for (outMultiple, inMultiple) in [(1, 1), (1, 16), (4, 16)] {
            for (k, c) in channelPairs {
                let weight = try Tensor<Int8>.randomNonZero(shape: [k, c, kd, kh, kw], using: &generator)
                try checkODHWI(weight, outMultiple: outMultiple, inMultiple: inMultiple,
                               note: "K×\(outMultiple) C×\(inMultiple) K=\(k) C=\(c) seed=\(testSeed)")
            }
        }
    }

    func testEveryElementWidthPacks() throws {
        var generator = SeededGenerator(seed: testSeed)
        let shape = [6, 7, kd, kh, kw]
        let note = "seed=\(testSeed)"
        try checkOIDHWoi(try randomNonZero(Float.self, shape: shape, using: &generator) { Float($0) / 4 },
                         outBlock: 4, inBlock: 4, note: note)
        try checkOIDHWoi(try randomNonZero(Float16.self, shape: shape, using: &generator) { Float16($0) },
                         outBlock: 8, inBlock: 4, note: note)
        try checkOIDHWoi(try randomNonZero(Int64.self, shape: shape, using: &generator) { Int64($0) << 33 },
                         outBlock: 4, inBlock: 32, note: note)
        try checkODHWI(try randomNonZero(Int32.self, shape: shape, using: &generator) { Int32($0) },
                       outMultiple: 4, inMultiple: 16, note: note)
        try checkODHWI(try randomNonZero(UInt8.self, shape: shape, using: &generator) { UInt8(bitPattern: $0) },
                       outMultiple: 8, inMultiple: 8, note: note)
    }

    func testErrorsNameTheBadValue() throws {
        let weight = try Tensor<Int8>(shape: [6, 3, 1, 1, 1], layout: .oidhw, repeating: 1)
        assertThrows(containing: ["output channel block bo is 0; expected 1...1024"]) {
            try weight.packedOIDHWoi(outBlock: 0, inBlock: 4)
        }
        assertThrows(containing: ["input channel block bi is 2048; expected 1...1024"]) {
            try weight.packedOIDHWoi(outBlock: 4, inBlock: 2048)
        }
        assertThrows(containing: ["output channel multiple is -1"]) { try weight.packedODHWI(outputChannelMultiple: -1) }
        assertThrows(containing: ["expected a tensor in layout OIDHW, got NCDHW"]) {
            try weight.withLayout(.ncdhw).packedODHWI()
        }
        assertThrows(containing: ["layout OIDHW has 5 dimensions [K, C, kd, kh, kw]", "shape [6, 3, 1] of rank 3"]) {
            try Tensor<Int8>(shape: [6, 3, 1], repeating: 1).packedOIDHWoi(outBlock: 4, inBlock: 4)
        }

        let blocked = try weight.packedOIDHWoi(outBlock: 4, inBlock: 4)
        assertThrows(containing: ["output channels K 9 cannot be unpacked from a OIDHW4o4i tensor of shape "
                                  + "[2, 1, 1, 1, 1, 4, 4]", "expected 5...8"]) {
            try blocked.unpackedOIDHWoi(outputChannels: 9, inputChannels: 3)
        }
        assertThrows(containing: ["input channels C 0", "expected 1...4"]) {
            try blocked.unpackedOIDHWoi(outputChannels: 6, inputChannels: 0)
        }
        assertThrows(containing: ["layout OIDHW[bo]o[bi]i has 7 dimensions [K/bo, C/bi, kd, kh, kw, bo, bi]"]) {
            try weight.unpackedOIDHWoi(outputChannels: 6, inputChannels: 3)
        }
        assertThrows(containing: ["expected a tensor in layout OIDHW4o4i (the blocks of shape", "got OIDHW8o4i"]) {
            try blocked.withLayout(.oidhwoi(outBlock: 8, inBlock: 4)).unpackedOIDHWoi(outputChannels: 6, inputChannels: 3)
        }

        let channelsLast = try weight.packedODHWI(outputChannelMultiple: 4, inputChannelMultiple: 16)
        XCTAssertEqual(channelsLast.shape, [8, 1, 1, 1, 16])
        assertThrows(containing: ["output channels K 9 cannot be unpacked from a ODHWI tensor", "expected 0...8"]) {
            try channelsLast.unpackedODHWI(outputChannels: 9, inputChannels: 3)
        }
        assertThrows(containing: ["input channels C -1", "expected 0...16"]) {
            try channelsLast.unpackedODHWI(outputChannels: 6, inputChannels: -1)
        }
    }

    // MARK: - Checks

    private func checkOIDHWoi<E: TensorElement>(_ weight: Tensor<E>, outBlock: Int, inBlock: Int, note: String) throws {
        let (k, c, d, h, w) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3], weight.shape[4])
        let (outBlocks, inBlocks) = ((k + outBlock - 1) / outBlock, (c + inBlock - 1) / inBlock)
        let packed = try weight.packedOIDHWoi(outBlock: outBlock, inBlock: inBlock)
        XCTAssertEqual(packed.shape, [outBlocks, inBlocks, d, h, w, outBlock, inBlock], note)
        XCTAssertEqual(packed.layout, .oidhwoi(outBlock: outBlock, inBlock: inBlock), note)
        var written = Array(repeating: false, count: packed.count)
        var placement = PlacementCheck<E>()
        var logical = 0
        for ki in 0..<k {
            for ci in 0..<c {
                for di in 0..<d {
                    for hi in 0..<h {
                        for wi in 0..<w {
                            let block = (ki / outBlock) * inBlocks + ci / inBlock
                            let index = ((((block * d + di) * h + hi) * w + wi) * outBlock + ki % outBlock) * inBlock
                                + ci % inBlock
                            placement.check(packed.elements[index], weight.elements[logical], at: "k\(ki) c\(ci) d\(di) h\(hi) w\(wi)")
                            written[index] = true
                            logical += 1
                        }
                    }
                }
            }
        }
        placement.assertNoMismatch(note)
        assertPaddingIsZero(packed, written: written, note: note)
        XCTAssertEqual(try packed.unpackedOIDHWoi(outputChannels: k, inputChannels: c), weight.withLayout(.oidhw), note)
    }

    private func checkODHWI<E: TensorElement>(_ weight: Tensor<E>, outMultiple: Int, inMultiple: Int, note: String) throws {
        let (k, c, d, h, w) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3], weight.shape[4])
        let paddedK = (k + outMultiple - 1) / outMultiple * outMultiple
        let paddedC = (c + inMultiple - 1) / inMultiple * inMultiple
        let packed = try weight.packedODHWI(outputChannelMultiple: outMultiple, inputChannelMultiple: inMultiple)
        XCTAssertEqual(packed.shape, [paddedK, d, h, w, paddedC], note)
        XCTAssertEqual(packed.layout, .odhwi, note)
        var written = Array(repeating: false, count: packed.count)
        var placement = PlacementCheck<E>()
        var logical = 0
        for ki in 0..<k {
            for ci in 0..<c {
                for di in 0..<d {
                    for hi in 0..<h {
                        for wi in 0..<w {
                            let index = (((ki * d + di) * h + hi) * w + wi) * paddedC + ci
                            placement.check(packed.elements[index], weight.elements[logical], at: "k\(ki) c\(ci) d\(di) h\(hi) w\(wi)")
                            written[index] = true
                            logical += 1
                        }
                    }
                }
            }
        }
        placement.assertNoMismatch(note)
        assertPaddingIsZero(packed, written: written, note: note)
        XCTAssertEqual(try packed.unpackedODHWI(outputChannels: k, inputChannels: c), weight.withLayout(.oidhw), note)
    }
}
