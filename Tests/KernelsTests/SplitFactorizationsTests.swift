@testable import Kernels
import XCTest

final class SplitFactorizationsTests: XCTestCase {
    func testKnownCounts() {
        XCTAssertEqual(SplitFactorizations.count(of: 56, parts: 4), 80)
        XCTAssertEqual(SplitFactorizations.all(of: 56, parts: 4).count, 80)
        XCTAssertEqual(SplitFactorizations.count(of: 1, parts: 4), 1)
        XCTAssertEqual(SplitFactorizations.count(of: 7, parts: 4), 4)
        XCTAssertEqual(SplitFactorizations.count(of: 16, parts: 4), 35)  // C(4 + 3, 3)
        XCTAssertEqual(SplitFactorizations.count(of: 64, parts: 2), 7)
        XCTAssertEqual(SplitFactorizations.count(of: 0, parts: 2), 0)
        XCTAssertEqual(SplitFactorizations.all(of: 12, parts: 2), [[1, 12], [2, 6], [3, 4], [4, 3], [6, 2], [12, 1]])
    }

    /// Every listed tuple multiplies to the extent, none repeats, and the closed-form count agrees.
    func testEnumerationMatchesTheCountForManyExtents() {
        for extent in 1...120 {
            for parts in 1...4 {
                let all = SplitFactorizations.all(of: extent, parts: parts)
                XCTAssertEqual(all.count, SplitFactorizations.count(of: extent, parts: parts), "\(extent) into \(parts)")
                XCTAssertEqual(Set(all).count, all.count)
                XCTAssertTrue(all.allSatisfy { $0.count == parts && $0.reduce(1, *) == extent })
            }
        }
    }

    func testDivisors() {
        XCTAssertEqual(SplitFactorizations.divisors(of: 36), [1, 2, 3, 4, 6, 9, 12, 18, 36])
        XCTAssertEqual(SplitFactorizations.divisors(of: 1), [1])
        XCTAssertEqual(SplitFactorizations.divisors(of: 97), [1, 97])
    }

    func testKnobCandidateCounts() {
        XCTAssertEqual(Knob.split(name: "s", extent: 56, parts: 4).candidateCount, 80)
        XCTAssertEqual(Knob.reorder(name: "r", count: 4).candidates.count, 24)
        XCTAssertEqual(Knob.reorder(name: "r", count: 4).candidateCount, 24)
        XCTAssertEqual(Knob.choice(name: "c", values: [0, 512, 1500]).candidates, [.choice(0), .choice(512), .choice(1500)])
        let permutations = Knob.reorder(name: "r", count: 3).candidates
        XCTAssertEqual(permutations.first, .permutation([0, 1, 2]))
        XCTAssertEqual(permutations.last, .permutation([2, 1, 0]))
    }
}
