import Tensors
import XCTest

/// The seed every randomized test in this target starts from; failures print it.
let testSeed: UInt64 = 0x51A7_3D0C_2026_0001

/// A tensor of `shape` with random non-zero values that every element type can hold exactly.
func randomNonZero<Element: TensorElement>(
    _ type: Element.Type, shape: [Int], layout: Layout? = nil, using generator: inout SeededGenerator,
    convert: (Int8) -> Element
) throws -> Tensor<Element> {
    try Tensor<Int8>.randomNonZero(shape: shape, layout: layout, using: &generator).map(convert)
}

/// Asserts that `body` throws a `TensorError` equal to `expected` whose message contains each of
/// `phrases`.
func assertThrows<T>(
    _ expected: TensorError? = nil, containing phrases: [String],
    file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(phrases), got a value", file: file, line: line)
    } catch {
        guard let error = error as? TensorError else {
            return XCTFail("expected a TensorError, got \(error)", file: file, line: line)
        }
        if let expected { XCTAssertEqual(error, expected, file: file, line: line) }
        for phrase in phrases {
            XCTAssertTrue(error.description.contains(phrase), "'\(error)' lacks '\(phrase)'", file: file, line: line)
        }
    }
}

/// Counts elements found where another value was expected, reporting the first: one assertion per
/// tensor rather than one per element keeps the exhaustive packing sweeps fast.
struct PlacementCheck<Element: TensorElement> {
    private(set) var mismatches = 0
    private(set) var first = ""

    mutating func check(_ actual: Element, _ expected: Element, at position: @autoclosure () -> String) {
        guard actual != expected else { return }
        if mismatches == 0 { first = "\(position()): found \(actual), expected \(expected)" }
        mismatches += 1
    }

    func assertNoMismatch(_ note: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(mismatches, 0, "\(note): misplaced elements, first at \(first)", file: file, line: line)
    }
}

extension Tensor {
    /// A copy with `layout` replaced.
    func withLayout(_ layout: Layout?) -> Tensor {
        var copy = self
        copy.layout = layout
        return copy
    }
}

/// Every element no logical element landed on is zero.
func assertPaddingIsZero<E: TensorElement>(
    _ packed: Tensor<E>, written: [Bool], note: String, file: StaticString = #filePath, line: UInt = #line
) {
    var nonZeroPadding = 0
    for index in 0..<packed.count where !written[index] && packed.elements[index] != E.zero {
        nonZeroPadding += 1
    }
    XCTAssertEqual(nonZeroPadding, 0, "\(note): padding elements are not zero", file: file, line: line)
}
