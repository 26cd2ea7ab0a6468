@testable import Kernels
import Tensors
import XCTest

/// The generic space on small hand-made constraints, where brute force is the ground truth.
final class ConfigSpaceTests: XCTestCase {
    /// Valid when the product of the first factors of two splits is at most `limit` and the choice
    /// is not 3; classes group the splits by their first factor.
    struct ProductLimit: ConfigConstraints {
        let knobs: [Knob]
        let limit: Int
        let candidateClasses: [[Int]]
        let firstFactor: [[Int]]

        init(knobs: [Knob], limit: Int) {
            self.knobs = knobs
            self.limit = limit
            var classes: [[Int]] = []
            var factors: [[Int]] = []
            for knob in knobs {
                let candidates = knob.candidates
                switch knob {
                case .split:
                    let firsts = candidates.map { value -> Int in
                        if case .split(let f) = value { return f[0] }
                        return 0
                    }
                    let distinct = Array(Set(firsts)).sorted()
                    classes.append(firsts.map { distinct.firstIndex(of: $0) ?? 0 })
                    factors.append(distinct)
                case .choice:
                    classes.append(Array(candidates.indices))
                    factors.append(candidates.map { if case .choice(let v) = $0 { return v } else { return 0 } })
                case .reorder:
                    classes.append(Array(repeating: 0, count: candidates.count))
                    factors.append([0])
                }
            }
            candidateClasses = classes
            firstFactor = factors
        }

        func isValid(classes: [Int]) -> Bool {
            firstFactor[0][classes[0]] * firstFactor[1][classes[1]] <= limit && firstFactor[2][classes[2]] != 3
        }

        func mayBeValid(classes: [Int], fixed: Int) -> Bool {
            fixed < 2 || firstFactor[0][classes[0]] * firstFactor[1][classes[1]] <= limit
        }
    }

    static let knobs: [Knob] = [
        .split(name: "a", extent: 24, parts: 3),
        .split(name: "b", extent: 18, parts: 2),
        .choice(name: "c", values: [1, 2, 3, 4]),
        .reorder(name: "r", count: 3),
    ]

    func makeSpace(limit: Int = 12) throws -> ConfigSpace {
        try ConfigSpace(knobs: Self.knobs, constraints: ProductLimit(knobs: Self.knobs, limit: limit))
    }

    func bruteForceValid(_ space: ConfigSpace) throws -> [ConfigPoint] {
        try (0..<space.rawSize).map { try space.point(atRawIndex: $0) }.filter { point in
            let v = try space.values(at: point)
            guard case .split(let a) = v[0], case .split(let b) = v[1], case .choice(let c) = v[2] else { return false }
            return a[0] * b[0] <= 12 && c != 3
        }
    }

    func testRawSizeAndRawIndexRoundTrip() throws {
        let space = try makeSpace()
        XCTAssertEqual(space.rawSize, 30 * 6 * 4 * 6)
        for index in stride(from: 0, to: space.rawSize, by: 37) {
            XCTAssertEqual(try space.rawIndex(of: try space.point(atRawIndex: index)), index)
        }
        XCTAssertThrowsError(try space.point(atRawIndex: space.rawSize))
        XCTAssertThrowsError(try space.values(at: ConfigPoint([0, 0, 0])))
        XCTAssertThrowsError(try space.values(at: ConfigPoint([0, 0, 4, 0])))
    }

    func testValidCountMatchesBruteForce() throws {
        let space = try makeSpace()
        let valid = try bruteForceValid(space)
        XCTAssertEqual(space.validCount(), valid.count)
        XCTAssertTrue(space.hasValidPoint)
        let listed = space.allValidPoints()
        XCTAssertEqual(Set(listed), Set(valid))
        XCTAssertEqual(listed.count, valid.count)
        XCTAssertEqual(space.validPoint(atRank: valid.count - 1), listed.last)
        XCTAssertNil(space.validPoint(atRank: valid.count))
        XCTAssertEqual(try ConfigSpace(knobs: Self.knobs, constraints: Unconstrained(knobs: Self.knobs)).validCount(), space.rawSize)
    }

    func testEmptySpace() throws {
        let space = try makeSpace(limit: 0)
        XCTAssertEqual(space.validCount(), 0)
        XCTAssertFalse(space.hasValidPoint)
        var rng = SeededGenerator(seed: 1)
        XCTAssertEqual(space.sample(count: 5, using: &rng), [])
        XCTAssertEqual(space.sampleByRejection(count: 5, maxAttempts: 1000, using: &rng), [])
    }

    /// Each of the valid points is drawn about equally often, by both samplers: a chi-square statistic
    /// far below what a biased sampler gives (its expectation is the number of points).
    func testSamplingIsUniform() throws {
        let space = try makeSpace()
        let valid = try bruteForceValid(space)
        let draws = 30 * valid.count
        for rejection in [false, true] {
            var rng = SeededGenerator(seed: rejection ? 2 : 3)
            let points = rejection
                ? space.sampleByRejection(count: draws, distinct: false, maxAttempts: 100 * draws, using: &rng)
                : space.sample(count: draws, distinct: false, using: &rng)
            XCTAssertEqual(points.count, draws)
            var counts: [ConfigPoint: Int] = [:]
            for p in points { counts[p, default: 0] += 1 }
            XCTAssertEqual(Set(counts.keys), Set(valid), "every valid point, and only those, is drawn")
            let expected = Double(draws) / Double(valid.count)
            let chi2 = counts.values.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
            // Degrees of freedom n - 1; mean n - 1, standard deviation sqrt(2(n - 1)); allow 5 sigma.
            let n = Double(valid.count)
            XCTAssertLessThan(chi2, n + 5 * (2 * n).squareRoot(), "rejection \(rejection): chi2 \(chi2) over \(valid.count) points")
        }
    }

    func testDistinctSamplesAreDistinctValidAndRepeatable() throws {
        let space = try makeSpace()
        var a = SeededGenerator(seed: 9)
        var b = SeededGenerator(seed: 9)
        let first = space.sample(count: 50, using: &a)
        XCTAssertEqual(first, space.sample(count: 50, using: &b))
        XCTAssertEqual(Set(first).count, 50)
        XCTAssertTrue(first.allSatisfy(space.isValid))
        var c = SeededGenerator(seed: 10)
        XCTAssertEqual(space.sample(count: 100_000, using: &c).count, space.validCount(), "at most every valid point")
    }

    func testNamedValuesAndPoints() throws {
        let space = try makeSpace()
        let point = try space.point(atRawIndex: 123)
        let named = try space.namedValues(at: point)
        XCTAssertEqual(try space.point(for: named), point)
        var missing = named
        missing["c"] = nil
        XCTAssertThrowsError(try space.point(for: missing)) { error in
            XCTAssertEqual(error as? ConfigSpaceError, .missingKnob("c"))
        }
        var wrong = named
        wrong["a"] = .split([5, 5, 1])
        XCTAssertThrowsError(try space.point(for: wrong)) { error in
            XCTAssertEqual(error as? ConfigSpaceError, .valueNotInKnob(knob: "a", value: "split[5, 5, 1]"))
        }
    }

    func testMalformedSpacesThrow() {
        let twice: [Knob] = [.choice(name: "x", values: [1]), .choice(name: "x", values: [2])]
        XCTAssertThrowsError(try ConfigSpace(knobs: twice, constraints: Unconstrained(knobs: twice))) { error in
            XCTAssertEqual(error as? ConfigSpaceError, .duplicateKnob("x"))
            XCTAssertEqual("\(error)", "knob 'x' appears twice in the space")
        }
        let one: [Knob] = [.choice(name: "x", values: [1, 2])]
        XCTAssertThrowsError(try ConfigSpace(knobs: one, constraints: Unconstrained(knobs: Self.knobs)))
    }
}
