import ConvGeometry
import Kernels
import Tensors

/// Element type of a convolution's operands.
public enum ConvElementType: String, Codable, Sendable {
    case int8, float32
}

/// What to run: a convolution, its element type and output, and the seed of its random data.
public struct Conv3DRequest: Sendable {
    public var parameters: Conv3DParameters
    public var dtype: ConvElementType
    /// int8 only: requantize through a fused ``Epilogue`` to int8 instead of returning int32.
    public var int8Output: Bool
    /// int8 output only: the epilogue also adds an int8 residual shaped like the output, with its own
    /// scale (a ResNet block's skip connection).
    public var residual: Bool
    public var seed: UInt64

    public init(
        parameters: Conv3DParameters, dtype: ConvElementType, int8Output: Bool = false, residual: Bool = false,
        seed: UInt64 = 1
    ) {
        self.parameters = parameters
        self.dtype = dtype
        self.int8Output = int8Output
        self.residual = residual && int8Output
        self.seed = seed
    }
}

extension Conv3DRequest {
    /// What a GPU kernel for this request writes.
    public var outputKind: OutputKind { int8Output ? .int8(relu: true, residual: residual) : .int32 }

    /// The output as `--out` names it: `int32`, `int8` or `int8-residual`.
    public var outputName: String { int8Output ? (residual ? "int8-residual" : "int8") : "int32" }
}

/// Fresh random non-zero operands for a request: the same seed gives the same data on every
/// implementation and device, so results can be compared element by element.
public struct Conv3DProblem: Sendable {
    public enum Operands: Sendable {
        /// `epilogue` is set when the output is requantized to int8: per-channel scales that spread
        /// the accumulators over the int8 range, random biases, ReLU.
        case int8(input: Tensor<Int8>, weight: Tensor<Int8>, epilogue: Epilogue?)
        case float32(input: Tensor<Float>, weight: Tensor<Float>, bias: [Float])
    }

    public let parameters: Conv3DParameters
    public let operands: Operands
    /// The int8 residual (NCDHW, shaped like the output) when the request asks for one; the epilogue's
    /// `residualScale` is then set.
    public let residual: Tensor<Int8>?

    public init(_ request: Conv3DRequest) throws {
        let p = request.parameters
        var rng = SeededGenerator(seed: request.seed)
        parameters = p
        var residual: Tensor<Int8>?
        switch request.dtype {
        case .int8:
            try p.checkInt8Accumulation()
            let input = try Tensor<Int8>.randomNonZero(shape: p.inputShape, layout: .ncdhw, using: &rng)
            let weight = try Tensor<Int8>.randomNonZero(shape: p.weightShape, layout: .oidhw, using: &rng)
            var epilogue: Epilogue?
            if request.int8Output {
                // A sum of R products of values uniform in ±127 has a standard deviation near
                // 127²·sqrt(R)/3; map about three of those onto ±127 so that some outputs saturate.
                let spread = Float(127 * 127) * Float(p.reductionLength).squareRoot() / 3
                var scale: [Float] = []
                var bias: [Float] = []
                for _ in 0..<p.outputChannels {
                    scale.append(Float.random(in: 0.5...1.5, using: &rng) * 127 / (3 * spread))
                    bias.append(Float.random(in: -20...20, using: &rng))
                }
                epilogue = Epilogue(scale: scale, bias: bias, relu: true)
                if request.residual {
                    // A residual in ±127 scaled to about a third of the output range: the sum still
                    // saturates sometimes and stays sensitive to every term.
                    residual = try Tensor<Int8>.randomNonZero(shape: p.outputShape, layout: .ncdhw, using: &rng)
                    epilogue?.residualScale = Float.random(in: 0.25...0.4, using: &rng)
                }
            }
            operands = .int8(input: input, weight: weight, epilogue: epilogue)
        case .float32:
            let input = try Tensor<Float>.randomNonZero(shape: p.inputShape, layout: .ncdhw, using: &rng)
            let weight = try Tensor<Float>.randomNonZero(shape: p.weightShape, layout: .oidhw, using: &rng)
            let bias = (0..<p.outputChannels).map { _ in Float.random(in: -1...1, using: &rng) }
            operands = .float32(input: input, weight: weight, bias: bias)
        }
        self.residual = residual
    }
}
