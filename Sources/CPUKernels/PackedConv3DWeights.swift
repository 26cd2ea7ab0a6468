import CCPUKernels
import ConvGeometry
import Tensors

/// An element type the fast CPU convolution computes with: `Int8` or `Float`.
public protocol CPUConvolutionElement: TensorElement {
    /// How packed weights and activations hold it: int8 sign-extended to `Int16` once, for `vpmaddwd`;
    /// `Float` as is.
    associatedtype Packed: Numeric & Sendable
}

extension Int8: CPUConvolutionElement { public typealias Packed = Int16 }
extension Float: CPUConvolutionElement { public typealias Packed = Float }

/// Convolution weights rearranged once into the layout the fast CPU kernels read, so that a model
/// running the same layer many times packs them only once.
///
/// The tiled layout is `[g, ceil((K/g)/16), kd·kh·kw, C/g, 16]`; for int8, sign-extended to int16 with
/// C/g rounded up to even and paired, `[g, ceil((K/g)/16), kd·kh·kw, C/g/2, 16, 2]`. Output channels
/// past K/g are zero. Depthwise weights stay `[K, kd·kh·kw]`.
///
/// ```swift
/// let packed = try PackedConv3DWeights(weight, parameters: p)   // weight: Tensor<Int8>, OIDHW
/// for clip in clips {
///     let y = try FastConv3D.conv3d(clip, packed, parameters: p, epilogue: epilogue)
/// }
/// ```
public struct PackedConv3DWeights<Element: CPUConvolutionElement>: Sendable {
    /// K.
    public let outputChannels: Int
    /// C/g.
    public let inputChannelsPerGroup: Int
    public let groups: Int
    public let kernel: Extent3
    let family: CPUKernelFamily
    let values: [Element.Packed]

    /// Throws unless these weights were packed for the weight shape of `p`.
    func check(against p: Conv3DParameters) throws(CPUKernelsError) {
        guard outputChannels == p.outputChannels, inputChannelsPerGroup == p.inputChannelsPerGroup,
            groups == p.groups, kernel == p.kernel
        else {
            func describe(_ k: Int, _ cg: Int, _ g: Int, _ kernel: Extent3) -> String {
                "K=\(k), C/g=\(cg), groups \(g), kernel \(kernel)"
            }
            throw .packedWeightsMismatch(
                packed: describe(outputChannels, inputChannelsPerGroup, groups, kernel),
                expected: describe(p.outputChannels, p.inputChannelsPerGroup, p.groups, p.kernel))
        }
    }

    private init(_ p: Conv3DParameters, family: CPUKernelFamily, values: [Element.Packed]) {
        outputChannels = p.outputChannels
        inputChannelsPerGroup = p.inputChannelsPerGroup
        groups = p.groups
        kernel = p.kernel
        self.family = family
        self.values = values
    }

    /// Packs `weight` (`[K, C/g, kd, kh, kw]`, OIDHW) with the C function `pack` for the tiled kernel,
    /// or converts it for the depthwise one.
    private init(
        _ weight: Tensor<Element>, parameters p: Conv3DParameters, pairedChannels: Bool,
        convert: (Element) -> Element.Packed,
        pack: (UnsafePointer<q3d_conv_geometry>, UnsafePointer<Element>, UnsafeMutablePointer<Element.Packed>) -> Void
    ) throws(CPUKernelsError) {
        try p.checkWeight(weight)
        let family = CPUKernelFamily(p)
        guard family == .tiled else {
            self.init(p, family: family, values: weight.elements.map(convert))
            return
        }
        var geometry = p.kernelGeometry(channelAlignment: family.channelAlignment(pairedChannels: pairedChannels))
        var packed = [Element.Packed](repeating: 0, count: Int(q3d_tiled_weights_count(&geometry)))
        weight.elements.withUnsafeBufferPointer { source in
            packed.withUnsafeMutableBufferPointer { destination in
                // Both buffers hold at least one element: every extent of a valid convolution is positive.
                guard let source = source.baseAddress, let destination = destination.baseAddress else { return }
                pack(&geometry, source, destination)
            }
        }
        self.init(p, family: family, values: packed)
    }
}

extension PackedConv3DWeights where Element == Int8 {
    /// Packs int8 weights `[K, C/g, kd, kh, kw]` (OIDHW) for the convolution `parameters`.
    public init(_ weight: Tensor<Int8>, parameters: Conv3DParameters) throws(CPUKernelsError) {
        try self.init(
            weight, parameters: parameters, pairedChannels: true, convert: { Int16($0) },
            pack: { q3d_pack_weights_tiled_i8($0, $1, $2) })
    }
}

extension PackedConv3DWeights where Element == Float {
    /// Packs float weights `[K, C/g, kd, kh, kw]` (OIDHW) for the convolution `parameters`.
    public init(_ weight: Tensor<Float>, parameters: Conv3DParameters) throws(CPUKernelsError) {
        try self.init(
            weight, parameters: parameters, pairedChannels: false, convert: { $0 },
            pack: { q3d_pack_weights_tiled_f32($0, $1, $2) })
    }
}
