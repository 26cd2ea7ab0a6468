import Tensors
import XCTest

/// Fails unless `actual` equals `expected` element for element, naming the first differing element and
/// how many differ rather than printing whole tensors.
func assertIdentical<Element>(
    _ actual: Tensor<Element>, _ expected: Tensor<Element>, _ context: @autoclosure () -> String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.shape == expected.shape else {
        XCTFail("shape \(actual.shape), expected \(expected.shape): \(context())", file: file, line: line)
        return
    }
    assertIdentical(actual.elements, expected.elements, context(), file: file, line: line)
}

/// Fails unless the arrays are equal, naming the first difference.
func assertIdentical<Element: Equatable>(
    _ actual: [Element], _ expected: [Element], _ context: @autoclosure () -> String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        XCTFail("\(actual.count) elements, expected \(expected.count): \(context())", file: file, line: line)
        return
    }
    let differing = zip(actual, expected).enumerated().filter { $0.element.0 != $0.element.1 }
    guard let first = differing.first else { return }
    XCTFail(
        "\(differing.count) of \(actual.count) elements differ; first at \(first.offset): \(first.element.0), "
            + "expected \(first.element.1): \(context())", file: file, line: line)
}
