/// The ONNX operators Q3D imports and the versions of each it knows.
///
/// A model's opset fixes, for each operator, the newest version whose `since_version` is at most the
/// opset. Versions listed here were checked against the `onnx` 1.23.2 package's schemas: where a newer
/// version only widened the element types (Relu 14, Conv 22, ...), Q3D accepts it as is; where the
/// meaning changed (ReduceMean 18 takes axes as an input, BatchNormalization 14 adds training_mode,
/// QuantizeLinear 21 adds blocked quantization and output_dtype), the importer reads the version's form.
enum ONNXOperators {
    /// The opsets of the default domain Q3D reads: 11, the first with today's Clip, Pad and
    /// QuantizeLinear inputs, through the newest the `onnx` package defines.
    static let opsets: ClosedRange<Int> = 11...28

    /// Operator -> the `since_version`s of its schemas.
    static let versions: [String: [Int]] = [
        "Conv": [1, 11, 22],
        "BatchNormalization": [1, 6, 7, 9, 14, 15],
        "Relu": [1, 6, 13, 14],
        "Clip": [1, 6, 11, 12, 13],
        "Sigmoid": [1, 6, 13],
        "Mul": [1, 6, 7, 13, 14],
        "Add": [1, 6, 7, 13, 14],
        "MaxPool": [1, 8, 10, 11, 12, 22],
        "AveragePool": [1, 7, 10, 11, 19, 22],
        "GlobalAveragePool": [1, 22],
        "ReduceMean": [1, 11, 13, 18],
        "Flatten": [1, 9, 11, 13, 21, 23, 24, 25],
        "Reshape": [1, 5, 13, 14, 19, 21, 23, 24, 25],
        "Gemm": [1, 6, 7, 9, 11, 13],
        "MatMul": [1, 9, 13],
        "Concat": [1, 4, 11, 13],
        "Transpose": [1, 13, 21, 23, 24, 25],
        "Pad": [1, 2, 11, 13, 18, 19, 21, 23, 24, 25],
        "Identity": [1, 13, 14, 16, 19, 21, 23, 24, 25],
        "Dropout": [1, 6, 7, 10, 12, 13, 22],
        "Constant": [1, 9, 11, 12, 13, 19, 21, 23, 24, 25],
        "QuantizeLinear": [10, 13, 19, 21, 23, 24, 25, 28],
        "DequantizeLinear": [10, 13, 19, 21, 23, 24, 25, 28],
    ]

    static var supported: [String] { versions.keys.sorted() }

    /// The version of `op` that a model of `opset` uses, or nil when the operator is unknown.
    static func version(of op: String, opset: Int) -> Int? {
        versions[op]?.last { $0 <= opset }
    }

    static func isDefaultDomain(_ domain: String) -> Bool { domain.isEmpty || domain == "ai.onnx" }
}
