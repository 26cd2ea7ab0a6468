import ConvGeometry
import Kernels
import Tensors

/// What the dispatcher is asked: a convolution, its element types, the device wanted and, when the
/// operands already sit in one, the activation layout an implementation must read without packing.
public struct Conv3DQuery: Sendable {
    public var parameters: Conv3DParameters
    public var dtype: ConvElementType
    public var int8Output: Bool
    /// int8 output only: the epilogue adds an int8 residual.
    public var residual: Bool
    public var device: DeviceRequest
    /// nil: any layout (operands are packed for the implementation).
    public var layout: Layout?

    public init(
        parameters: Conv3DParameters, dtype: ConvElementType, int8Output: Bool = false, residual: Bool = false,
        device: DeviceRequest = .auto, layout: Layout? = nil
    ) {
        self.parameters = parameters
        self.dtype = dtype
        self.int8Output = int8Output
        self.residual = residual && int8Output
        self.device = device
        self.layout = layout
    }

    public init(_ request: Conv3DRequest, device: DeviceRequest, layout: Layout? = nil) {
        self.init(
            parameters: request.parameters, dtype: request.dtype, int8Output: request.int8Output,
            residual: request.residual, device: device,
            layout: layout)
    }

    /// What a GPU kernel for this query writes.
    public var output: OutputKind { int8Output ? .int8(relu: true, residual: residual) : .int32 }
}

/// A config measured for one workload, as a tuning log holds it: the dispatcher's view of a record
/// (the caller has already matched the workload, its element types and output).
public struct TunedConfig: Sendable, Equatable {
    public var impl: String
    /// The config as JSON, as `--config` takes it.
    public var configJSON: String
    /// Median time of the trial.
    public var milliseconds: Double
    /// The architecture it was measured on ("sm_90a").
    public var arch: String
    /// The GPU it was measured on ("NVIDIA H100 80GB HBM3").
    public var deviceName: String

    public init(impl: String, configJSON: String, milliseconds: Double, arch: String, deviceName: String) {
        self.impl = impl
        self.configJSON = configJSON
        self.milliseconds = milliseconds
        self.arch = arch
        self.deviceName = deviceName
    }
}

/// An implementation left out, and why.
public struct Conv3DRejection: Sendable, Equatable, Codable {
    public var impl: String
    public var reason: String

    public init(impl: String, reason: String) {
        self.impl = impl
        self.reason = reason
    }
}
