/// The checks every layout conversion makes before it moves an element.
extension Tensor {
    /// The largest block or padding multiple a conversion accepts: far above any kernel's need, and low
    /// enough that a mistyped value fails here rather than in an allocation of terabytes.
    static var largestMultiple: Int { 1024 }

    /// Throws unless the tensor is in `expected` layout and has one dimension per name in
    /// `dimensions`. A nil layout (an unannotated tensor, such as one read from `.npy`) is read as
    /// `expected`.
    func requireLayout(_ expected: Layout, dimensions: [String]) throws(TensorError) {
        if let layout, layout != expected {
            throw .layoutMismatch(expected: expected.description, actual: layout.description)
        }
        guard shape.count == dimensions.count else {
            throw .rankMismatch(layout: expected.description, dimensions: dimensions, shape: shape)
        }
    }

    /// Throws unless the tensor has one dimension per name in `dimensions` and its layout, if set, is
    /// `fromShape(shape)`; returns that layout.
    ///
    /// A packed tensor's blocks are dimensions of its shape, so a nil layout is read from the shape.
    func requireBlockedLayout(
        _ name: String, dimensions: [String], fromShape: ([Int]) -> Layout
    ) throws(TensorError) -> Layout {
        guard shape.count == dimensions.count else {
            throw .rankMismatch(layout: name, dimensions: dimensions, shape: shape)
        }
        let expected = fromShape(shape)
        if let layout, layout != expected {
            throw .layoutMismatch(expected: "\(expected) (the blocks of shape \(shape))", actual: layout.description)
        }
        return expected
    }

    /// The product of `shape[range]`.
    func volume(_ range: Range<Int>) throws(TensorError) -> Int {
        guard let product = Tensor.elementCount(of: Array(shape[range])) else { throw .invalidShape(shape) }
        return product
    }

    /// Throws unless `value` is a usable block size or padding multiple.
    static func requireMultiple(_ name: String, _ value: Int) throws(TensorError) {
        guard (1...largestMultiple).contains(value) else {
            throw .outOfRange(name: name, value: value, expected: 1...largestMultiple)
        }
    }

    /// ceil(count / block), for count >= 0 and block >= 1.
    static func blocks(_ count: Int, of block: Int) -> Int {
        count / block + (count % block == 0 ? 0 : 1)
    }

    /// `count` rounded up to a multiple of `multiple`.
    static func padded(_ name: String, _ count: Int, toMultipleOf multiple: Int) throws(TensorError) -> Int {
        let (result, overflow) = blocks(count, of: multiple).multipliedReportingOverflow(by: multiple)
        guard !overflow else {
            throw .outOfRange(name: name, value: count, expected: 0...(Int.max / multiple) * multiple)
        }
        return result
    }

    /// Throws unless `count` logical channels (or rows) can have been packed into `blocks` blocks of
    /// `block`: the padding of the last block is smaller than a block.
    func requireLogicalCount(
        _ name: String, _ count: Int, blocks: Int, of block: Int, layout: Layout
    ) throws(TensorError) {
        let expected = blocks == 0 ? 0...0 : (blocks - 1) * block + 1...blocks * block
        guard expected.contains(count) else {
            throw .channelCountMismatch(
                name: name, value: count, expected: expected, layout: layout.description, shape: shape)
        }
    }

    /// Throws unless `count` logical channels (or rows) fit in `physical` padded ones.
    func requireLogicalCount(_ name: String, _ count: Int, atMost physical: Int, layout: Layout) throws(TensorError) {
        guard (0...physical).contains(count) else {
            throw .channelCountMismatch(
                name: name, value: count, expected: 0...physical, layout: layout.description, shape: shape)
        }
    }

    /// Runs `blocking` over the elements into a new tensor of `shape` and `layout`.
    func rearranged(
        _ blocking: ChannelBlocking, _ direction: ChannelBlocking.Direction, shape newShape: [Int], layout: Layout
    ) throws(TensorError) -> Tensor {
        guard let count = Tensor.elementCount(of: newShape) else { throw .invalidShape(newShape) }
        return try Tensor(shape: newShape, layout: layout, elements: blocking.move(direction, elements, count: count))
    }
}
