/// What a node computes. Standard operations keep ONNX's meaning (inputs that ONNX passes as constant
/// tensors, such as Reshape's shape or Clip's bounds, are attributes here); the `int8…` operations are
/// Q3D's integer forms, which the quantizer's lowering produces from a QDQ graph.
///
/// Inputs, by operation (optional ones may be the empty name ""):
///
/// | operation | inputs |
/// |---|---|
/// | conv | x, weight, bias?, residual? |
/// | batchNormalization | x, scale, bias, mean, variance |
/// | gemm | a, b, c? |
/// | quantizeLinear, dequantizeLinear | x, scale, zeroPoint? |
/// | int8Conv | x, weight, residual? |
/// | add, mul, matMul, int8Add | a, b |
/// | concat | any number |
/// | all others | x |
public enum Operation: Hashable, Sendable {
    case conv(ConvAttributes)
    case batchNormalization(epsilon: Float)
    case relu
    case clip(min: Float, max: Float)
    case sigmoid
    case add
    case mul
    case maxPool(PoolAttributes)
    case averagePool(PoolAttributes)
    case globalAveragePool
    /// Axes may be negative (counted from the end); an empty list reduces every axis.
    case reduceMean(axes: [Int], keepDims: Bool)
    case flatten(axis: Int)
    /// ONNX's Reshape: 0 copies the input's dimension (unless `allowZero`), -1 is inferred.
    case reshape(shape: [Int], allowZero: Bool)
    case gemm(GemmAttributes)
    case matMul
    case concat(axis: Int)
    /// An empty `perm` reverses the axes (ONNX's default).
    case transpose(perm: [Int])
    /// Constant padding; `pads` lists all begins then all ends, one per axis of the input.
    case pad(pads: [Int], value: Float)
    case identity
    /// `y = saturate(round(x / scale) + zeroPoint)`; per tensor, or per channel along `axis`.
    case quantizeLinear(axis: Int)
    /// `y = (x - zeroPoint) · scale`; per tensor, or per channel along `axis`.
    case dequantizeLinear(axis: Int)
    case int8Conv(Int8ConvAttributes)
    case int8Add(Int8AddAttributes)
    /// Max pooling of int8 values; the output keeps the input's scale.
    case int8MaxPool(PoolAttributes)
    case int8AveragePool(Int8PoolAttributes)
    /// `max(x, 0)` on int8 values; the output keeps the input's scale.
    case int8Relu

    /// The ONNX operator type, or `Q3D.…` for Q3D's integer operations.
    public var typeName: String {
        switch self {
        case .conv: "Conv"
        case .batchNormalization: "BatchNormalization"
        case .relu: "Relu"
        case .clip: "Clip"
        case .sigmoid: "Sigmoid"
        case .add: "Add"
        case .mul: "Mul"
        case .maxPool: "MaxPool"
        case .averagePool: "AveragePool"
        case .globalAveragePool: "GlobalAveragePool"
        case .reduceMean: "ReduceMean"
        case .flatten: "Flatten"
        case .reshape: "Reshape"
        case .gemm: "Gemm"
        case .matMul: "MatMul"
        case .concat: "Concat"
        case .transpose: "Transpose"
        case .pad: "Pad"
        case .identity: "Identity"
        case .quantizeLinear: "QuantizeLinear"
        case .dequantizeLinear: "DequantizeLinear"
        case .int8Conv: "Q3D.Int8Conv"
        case .int8Add: "Q3D.Int8Add"
        case .int8MaxPool: "Q3D.Int8MaxPool"
        case .int8AveragePool: "Q3D.Int8AveragePool"
        case .int8Relu: "Q3D.Int8Relu"
        }
    }

    /// True for Q3D's integer operations, which have no ONNX form of their own.
    public var isInteger: Bool {
        switch self {
        case .int8Conv, .int8Add, .int8MaxPool, .int8AveragePool, .int8Relu: true
        default: false
        }
    }

    /// True for convolutions of any spatial rank, float or int8: what skip lists count.
    public var isConvolution: Bool {
        switch self {
        case .conv, .int8Conv: true
        default: false
        }
    }
}

/// One operation of a graph: its name (the ONNX node's name, or one the builder made up), what it
/// computes, and the names of the values it reads and writes.
public struct Node: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var operation: Operation
    public var inputs: [String]
    public var outputs: [String]

    public init(name: String, _ operation: Operation, inputs: [String], outputs: [String]) {
        self.name = name
        self.operation = operation
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Input `i`, or nil when it is absent (past the end or the empty name).
    public func input(_ i: Int) -> String? {
        i < inputs.count && !inputs[i].isEmpty ? inputs[i] : nil
    }

    /// `'conv3' (Conv)`: how errors name a node.
    public var label: String { "'\(name)' (\(operation.typeName))" }

    public var description: String {
        "\(outputs.joined(separator: ", ")) = \(operation.typeName)[\(name)](\(inputs.joined(separator: ", ")))"
    }
}

extension Node {
    /// The types this node computes from inputs of `inputTypes` (nil for absent optional inputs):
    /// the same rules ``Graph/inferTypes()`` applies, usable with the concrete shapes of a run.
    public func outputTypes(_ inputTypes: [TensorType?]) throws(GraphError) -> [TensorType] {
        try ShapeInference.outputTypes(self, inputTypes)
    }
}
