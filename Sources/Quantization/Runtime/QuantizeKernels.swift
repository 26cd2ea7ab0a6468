import Graph
import Tensors

/// ONNX's QuantizeLinear and DequantizeLinear on the CPU, per tensor or per axis, for int8, uint8 and
/// (dequantize only) int32 data.
enum QuantizeKernels {
    static func quantize(_ node: Node, _ inputs: [AnyTensor?], axis: Int, outShape: [Int]) throws(ExecutionError) -> AnyTensor {
        guard case .float32(let x)? = inputs.first, inputs.count > 1, let scale = inputs[1]?.floatValues else {
            throw .at(node, "expects a float32 input and a scale")
        }
        let zp = inputs.count > 2 ? inputs[2] : nil
        let zeroPoint = zp?.integerValues ?? Array(repeating: 0, count: scale.count)
        try check(node, scale: scale, zeroPoint: zeroPoint)
        let k = axis < 0 ? axis + x.rank : axis
        switch zp?.dtype ?? .uint8 {
        case .int8:
            let q = ElementwiseKernels.quantize(x.elements, shape: x.shape, scale: scale, zeroPoint: zeroPoint, axis: k, range: -128...127)
            return .int8(Tensor(computedShape: outShape, elements: q.map { Int8($0) }))
        case .uint8:
            let q = ElementwiseKernels.quantize(x.elements, shape: x.shape, scale: scale, zeroPoint: zeroPoint, axis: k, range: 0...255)
            return .uint8(Tensor(computedShape: outShape, elements: q.map { UInt8($0) }))
        case let other:
            throw .at(node, "cannot quantize to \(other)")
        }
    }

    static func dequantize(_ node: Node, _ inputs: [AnyTensor?], axis: Int, outShape: [Int]) throws(ExecutionError) -> AnyTensor {
        guard let x = inputs.first ?? nil, let values = x.integerValues, inputs.count > 1, let scale = inputs[1]?.floatValues else {
            throw .at(node, "expects an integer input and a scale")
        }
        let zeroPoint = (inputs.count > 2 ? inputs[2]?.integerValues : nil) ?? Array(repeating: 0, count: scale.count)
        try check(node, scale: scale, zeroPoint: zeroPoint)
        let k = axis < 0 ? axis + x.shape.count : axis
        let y = ElementwiseKernels.dequantize(values, shape: x.shape, scale: scale, zeroPoint: zeroPoint, axis: k)
        return .float32(Tensor(computedShape: outShape, elements: y))
    }

    private static func check(_ node: Node, scale: [Float], zeroPoint: [Int]) throws(ExecutionError) {
        guard !scale.isEmpty, scale.count == zeroPoint.count else {
            throw .at(node, "has \(scale.count) scales and \(zeroPoint.count) zero points")
        }
        guard scale.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw .at(node, "scales must be positive and finite") }
    }
}
