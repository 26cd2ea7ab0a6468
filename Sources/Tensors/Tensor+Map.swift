extension Tensor {
    /// A tensor of the same shape and layout whose elements are `transform` of these.
    ///
    /// ```swift
    /// let asFloat = int8Tensor.map { Float($0) }
    /// ```
    ///
    /// Inlinable, so that the caller's closure is specialized into the loop rather than called through
    /// generic witnesses for each element.
    @inlinable
    public func map<Other: TensorElement, Failure: Error>(
        _ transform: (Element) throws(Failure) -> Other
    ) throws(Failure) -> Tensor<Other> {
        Tensor<Other>(validShape: shape, layout: layout, elements: try elements.map(transform))
    }
}
