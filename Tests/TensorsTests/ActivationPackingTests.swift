import Tensors
import XCTest

/// NCDHW <-> NCDHW[b]c and NCDHW <-> NDHWC. Expected positions are computed here from the layout
/// formulas, one loop per logical dimension, independently of the library's flattened loops.
final class ActivationPackingTests: XCTestCase {
    let (batch, depth, height, width) = (2, 2, 3, 2)

    func testNCDHWcPlacesEveryChannelCount() throws {
        var generator = SeededGenerator(seed: testSeed)
        for block in [4, 32] {
            for channels in 1...33 {
                let x = try Tensor<Int8>.randomNonZero(
                    shape: [batch, channels, depth, height, width], layout: .ncdhw, using: &generator)
                try checkNCDHWc(x, block: block, note: "b=\(block) C=\(channels) seed=\(testSeed)")
            }
        }
    }

    func testNDHWCPlacesEveryChannelCount() throws {
        var generator = SeededGenerator(seed: testSeed)
        for multiple in [1, 4, 16] {
            for channels in 1...33 {
                let x = try Tensor<Int8>.randomNonZero(
                    shape: [batch, channels, depth, height, width], using: &generator)
                try checkNDHWC(x, multiple: multiple, note: "multiple=\(multiple) C=\(channels) seed=\(testSeed)")
            }
        }
    }

    /// Packing moves 1-, 2-, 4- and 8-byte words; every element type must land the same way.
    func testEveryElementWidthPacks() throws {
        var generator = SeededGenerator(seed: testSeed)
        for channels in [1, 5, 33] {
            let shape = [batch, channels, depth, height, width]
            let note = "C=\(channels) seed=\(testSeed)"
            try checkNCDHWc(try randomNonZero(UInt8.self, shape: shape, using: &generator) { UInt8(bitPattern: $0) },
                            block: 4, note: note)
            try checkNCDHWc(try randomNonZero(Float16.self, shape: shape, using: &generator) { Float16($0) },
                            block: 32, note: note)
            try checkNCDHWc(try randomNonZero(Float.self, shape: shape, using: &generator) { Float($0) },
                            block: 4, note: note)
            try checkNCDHWc(try randomNonZero(Int64.self, shape: shape, using: &generator) { Int64($0) << 40 },
                            block: 4, note: note)
            try checkNDHWC(try randomNonZero(Int32.self, shape: shape, using: &generator) { Int32($0) << 20 },
                           multiple: 16, note: note)
            try checkNDHWC(try randomNonZero(Float16.self, shape: shape, using: &generator) { Float16($0) },
                           multiple: 4, note: note)
        }
    }

    func testLargeSpatialExtentCrossesTiles() throws {
        var generator = SeededGenerator(seed: testSeed)
        let x = try Tensor<Int8>.randomNonZero(shape: [1, 7, 3, 11, 13], using: &generator)
        try checkNCDHWc(x, block: 4, note: "seed=\(testSeed)")
        try checkNDHWC(x, multiple: 16, note: "seed=\(testSeed)")
    }

    func testEmptyTensorsPack() throws {
        let x = try Tensor<Int8>(shape: [0, 5, 2, 2, 2], repeating: 0)
        XCTAssertEqual(try x.packedNCDHWc(block: 4).shape, [0, 2, 2, 2, 2, 4])
        XCTAssertEqual(try x.packedNDHWC(channelMultiple: 16).unpackedNDHWC(channels: 5), x.withLayout(.ncdhw))
        let noChannels = try Tensor<Int8>(shape: [2, 0, 2, 2, 2], repeating: 0)
        XCTAssertEqual(try noChannels.packedNCDHWc(block: 4).shape, [2, 0, 2, 2, 2, 4])
        XCTAssertEqual(try noChannels.packedNDHWC(channelMultiple: 16).shape, [2, 2, 2, 2, 0])
    }

    func testErrorsNameTheBadValue() throws {
        let x = try Tensor<Int8>(shape: [1, 5, 1, 2, 2], layout: .ncdhw, repeating: 1)
        assertThrows(.invalidBlock(8), containing: ["channel block 8", "expected 4 or 32"]) {
            try x.packedNCDHWc(block: 8)
        }
        assertThrows(containing: ["expected a tensor in layout NCDHW, got NDHWC"]) {
            try x.withLayout(.ndhwc).packedNCDHWc(block: 4)
        }
        assertThrows(containing: ["layout NCDHW has 5 dimensions [N, C, D, H, W]", "shape [5, 4] of rank 2"]) {
            try Tensor<Int8>(shape: [5, 4], repeating: 1).packedNDHWC()
        }
        assertThrows(containing: ["channel multiple is 0; expected 1...1024"]) { try x.packedNDHWC(channelMultiple: 0) }
        assertThrows(containing: ["channel multiple is 4096; expected 1...1024"]) {
            try x.packedNDHWC(channelMultiple: 4096)
        }

        let packed = try x.packedNCDHWc(block: 4)
        assertThrows(containing: ["channels C 9 cannot be unpacked from a NCDHW4c tensor of shape [1, 2, 1, 2, 2, 4]",
                                  "expected 5...8"]) {
            try packed.unpackedNCDHWc(channels: 9)
        }
        assertThrows(containing: ["channels C 4", "expected 5...8"]) { try packed.unpackedNCDHWc(channels: 4) }
        assertThrows(containing: ["layout NCDHW[b]c has 6 dimensions", "got shape [1, 5, 1, 2, 2]"]) {
            try x.unpackedNCDHWc(channels: 5)
        }
        assertThrows(containing: ["expected a tensor in layout NCDHW32c (the blocks of shape", "got NCDHW4c"]) {
            try Tensor<Int8>(shape: [1, 1, 1, 1, 1, 32], layout: .ncdhwc(block: 4), repeating: 1)
                .unpackedNCDHWc(channels: 1)
        }
        assertThrows(.invalidBlock(3), containing: ["channel block 3"]) {
            try Tensor<Int8>(shape: [1, 1, 1, 1, 1, 3], repeating: 1).unpackedNCDHWc(channels: 1)
        }

        let channelsLast = try x.packedNDHWC(channelMultiple: 16)
        assertThrows(containing: ["channels C 17 cannot be unpacked from a NDHWC tensor", "expected 0...16"]) {
            try channelsLast.unpackedNDHWC(channels: 17)
        }
        assertThrows(containing: ["expected a tensor in layout NDHWC, got NCDHW"]) { try x.unpackedNDHWC(channels: 5) }
    }

    // MARK: - Checks

    /// Packs `x` (logical NCDHW), checks each element's position and the zero padding, unpacks back.
    private func checkNCDHWc<E: TensorElement>(_ x: Tensor<E>, block: Int, note: String) throws {
        let (n, c, d, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let blocks = (c + block - 1) / block
        let packed = try x.packedNCDHWc(block: block)
        XCTAssertEqual(packed.shape, [n, blocks, d, h, w, block], note)
        XCTAssertEqual(packed.layout, .ncdhwc(block: block), note)
        var written = Array(repeating: false, count: packed.count)
        var placement = PlacementCheck<E>()
        var logical = 0
        for ni in 0..<n {
            for ci in 0..<c {
                for di in 0..<d {
                    for hi in 0..<h {
                        for wi in 0..<w {
                            let index = ((((ni * blocks + ci / block) * d + di) * h + hi) * w + wi) * block + ci % block
                            placement.check(packed.elements[index], x.elements[logical], at: "n\(ni) c\(ci) d\(di) h\(hi) w\(wi)")
                            written[index] = true
                            logical += 1
                        }
                    }
                }
            }
        }
        placement.assertNoMismatch(note)
        assertPaddingIsZero(packed, written: written, note: note)
        XCTAssertEqual(try packed.unpackedNCDHWc(channels: c), x.withLayout(.ncdhw), note)
        var unannotated = packed
        unannotated.layout = nil
        XCTAssertEqual(try unannotated.unpackedNCDHWc(channels: c), x.withLayout(.ncdhw), note)
    }

    private func checkNDHWC<E: TensorElement>(_ x: Tensor<E>, multiple: Int, note: String) throws {
        let (n, c, d, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let padded = (c + multiple - 1) / multiple * multiple
        let packed = try x.packedNDHWC(channelMultiple: multiple)
        XCTAssertEqual(packed.shape, [n, d, h, w, padded], note)
        XCTAssertEqual(packed.layout, .ndhwc, note)
        var written = Array(repeating: false, count: packed.count)
        var placement = PlacementCheck<E>()
        var logical = 0
        for ni in 0..<n {
            for ci in 0..<c {
                for di in 0..<d {
                    for hi in 0..<h {
                        for wi in 0..<w {
                            let index = (((ni * d + di) * h + hi) * w + wi) * padded + ci
                            placement.check(packed.elements[index], x.elements[logical], at: "n\(ni) c\(ci) d\(di) h\(hi) w\(wi)")
                            written[index] = true
                            logical += 1
                        }
                    }
                }
            }
        }
        placement.assertNoMismatch(note)
        assertPaddingIsZero(packed, written: written, note: note)
        XCTAssertEqual(try packed.unpackedNDHWC(channels: c), x.withLayout(.ncdhw), note)
    }
}
