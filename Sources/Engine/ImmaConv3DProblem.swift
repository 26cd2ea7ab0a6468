import ConvGeometry
import CPUKernels
import Kernels
import Tensors

/// One int8 conv3d problem in logical layouts — NCDHW input, OIDHW weights, an epilogue and an optional
/// NCDHW residual — and its exact CPU results, which every GPU configuration is compared with.
///
/// ```swift
/// let problem = try ImmaConv3DProblem.random(layer.parameters, seed: 1, relu: true, residual: false)
/// let expected = try problem.expected()      // FastConv3D int32 sums, and the epilogue applied to them
/// ```
public struct ImmaConv3DProblem: Sendable {
    public var workload: Conv3DParameters
    /// `[N, C, D, H, W]`.
    public var input: Tensor<Int8>
    /// `[K, C, kd, kh, kw]`.
    public var weight: Tensor<Int8>
    /// Per-channel scale and bias (K values each), ReLU, and the residual's scale when there is one.
    public var epilogue: Epilogue
    /// `[N, K, Do, Ho, Wo]`, present exactly when `epilogue.residualScale` is set.
    public var residual: Tensor<Int8>?

    public init(workload: Conv3DParameters, input: Tensor<Int8>, weight: Tensor<Int8>, epilogue: Epilogue, residual: Tensor<Int8>?) {
        self.workload = workload
        self.input = input
        self.weight = weight
        self.epilogue = epilogue
        self.residual = residual
    }

    /// Non-zero random int8 data from `seed`, and scales that map typical sums to a few tens, so that the
    /// int8 outputs cover the whole range, saturation included.
    public static func random(
        _ workload: Conv3DParameters, seed: UInt64, relu: Bool, residual: Bool
    ) throws(EngineError) -> ImmaConv3DProblem {
        var rng = SeededGenerator(seed: seed)
        do {
            let input = try Tensor<Int8>.randomNonZero(shape: workload.inputShape, layout: .ncdhw, using: &rng)
            let weight = try Tensor<Int8>.randomNonZero(shape: workload.weightShape, layout: .oidhw, using: &rng)
            let typical = Float(127 * 127) * Float(workload.reductionLength).squareRoot() / 3
            let k = workload.outputChannels
            let scale = (0..<k).map { _ in Float.random(in: 0.2...3, using: &rng) * 40 / typical }
            let bias = (0..<k).map { _ in Float.random(in: -20...20, using: &rng) }
            let residualScale: Float? = residual ? Float.random(in: 0.1...0.9, using: &rng) : nil
            let residualTensor = residual
                ? try Tensor<Int8>.randomNonZero(shape: workload.outputShape, layout: .ncdhw, using: &rng) : nil
            return ImmaConv3DProblem(
                workload: workload, input: input, weight: weight,
                epilogue: Epilogue(scale: scale, bias: bias, relu: relu, residualScale: residualScale),
                residual: residualTensor)
        } catch {
            throw .tensor(error)
        }
    }

    /// The int8 output kind this problem's epilogue describes.
    public var int8Output: OutputKind { .int8(relu: epilogue.relu, residual: epilogue.residualScale != nil) }

    /// The exact results: int32 sums from ``FastConv3D`` (multi-threaded; bit-identical to the
    /// reference) and the epilogue applied to them.
    public func expected(options: CPUConv3DOptions = CPUConv3DOptions()) throws(EngineError) -> ImmaConv3DExpected {
        do {
            let sums = try FastConv3D.conv3d(input, weight, parameters: workload, options: options)
            return ImmaConv3DExpected(accumulators: sums, requantized: try epilogue.apply(to: sums, residual: residual))
        } catch {
            throw .cpu(error)
        }
    }
}

/// The CPU's results for an ``ImmaConv3DProblem``, NCDHW.
public struct ImmaConv3DExpected: Sendable {
    public var accumulators: Tensor<Int32>
    public var requantized: Tensor<Int8>

    public init(accumulators: Tensor<Int32>, requantized: Tensor<Int8>) {
        self.accumulators = accumulators
        self.requantized = requantized
    }
}
