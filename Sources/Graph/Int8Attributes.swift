import ConvGeometry
import Tensors

/// An int8 convolution: int8 input and weight, int32 accumulation, and the requantization of
/// ``Epilogue`` (scale, bias, optional int8 residual, optional ReLU) to an int8 output.
///
/// Inputs: `x` (int8), `weight` (int8, `[K, C/g, k...]`) and, when `epilogue.residualScale` is set, the
/// int8 `residual` shaped like the output. `geometry.activation` and `geometry.hasResidual` mirror the
/// epilogue.
public struct Int8ConvAttributes: Hashable, Sendable {
    public var geometry: ConvAttributes
    public var epilogue: Epilogue

    public init(geometry: ConvAttributes, epilogue: Epilogue) {
        var g = geometry
        g.activation = epilogue.relu ? .relu : .none
        g.hasResidual = epilogue.residualScale != nil
        self.geometry = g
        self.epilogue = epilogue
    }
}

/// An int8 addition of two int8 tensors of different scales into a third:
/// `v = Float(a)·scaleA; v = fma(Float(b), scaleB, v); ReLU if set; round half to even; clamp` —
/// the order of ``Epilogue``. The scales are already divided by the output scale.
public struct Int8AddAttributes: Hashable, Sendable {
    public var scaleA: Float
    public var scaleB: Float
    public var relu: Bool

    public init(scaleA: Float, scaleB: Float, relu: Bool) {
        self.scaleA = scaleA
        self.scaleB = scaleB
        self.relu = relu
    }
}

/// An average over int8 elements that sums in int32 and rescales once: `v = Float(sum) · (scale /
/// count)`, then either rounded to int8 or kept as float.
///
/// Summing first matters: averaging 8·7·7 = 392 int8 values and rounding each partial result would
/// lose the few bits a global average pool's output carries; an int32 sum holds up to 2^24 of them exactly.
public struct Int8PoolAttributes: Hashable, Sendable {
    public enum Window: Hashable, Sendable {
        /// AveragePool's window.
        case local(PoolAttributes)
        /// Every spatial element (GlobalAveragePool, or ReduceMean over all spatial axes); without
        /// `keepDims` the output is `[N, C]`.
        case global(keepDims: Bool)
    }

    public var window: Window
    /// Input scale over output scale (int8 output), or the input scale (float output).
    public var scale: Float
    /// `.int8` or `.float32`.
    public var outputType: DType

    public init(window: Window, scale: Float, outputType: DType) {
        self.window = window
        self.scale = scale
        self.outputType = outputType
    }
}
