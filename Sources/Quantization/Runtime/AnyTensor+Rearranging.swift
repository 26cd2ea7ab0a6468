import Graph
import Tensors

/// Layout-only operations (transpose, concatenation) on tensors of any element type: constant folding
/// meets int64 shapes and int8 weights as well as float activations.
extension AnyTensor {
    func transposed(perm: [Int], into shape: [Int]) -> AnyTensor {
        func t<T: TensorElement>(_ v: Tensor<T>) -> Tensor<T> {
            Tensor(computedShape: shape, elements: TensorKernels.transpose(v.elements, shape: v.shape, perm: perm))
        }
        switch self {
        case .float32(let v): return .float32(t(v))
        case .float16(let v): return .float16(t(v))
        case .int8(let v): return .int8(t(v))
        case .uint8(let v): return .uint8(t(v))
        case .int32(let v): return .int32(t(v))
        case .int64(let v): return .int64(t(v))
        }
    }

    /// `parts`, all of this tensor's element type, concatenated along `axis` into `shape`.
    func concatenating(_ parts: [AnyTensor], into shape: [Int], axis: Int) -> AnyTensor {
        func join<T: TensorElement>(_ extract: (AnyTensor) -> [T]?) -> Tensor<T> {
            Tensor(computedShape: shape, elements: TensorKernels.concat(parts.map { (extract($0) ?? [], $0.shape) }, axis: axis))
        }
        switch self {
        case .float32: return .float32(join { if case .float32(let t) = $0 { t.elements } else { nil } })
        case .float16: return .float16(join { if case .float16(let t) = $0 { t.elements } else { nil } })
        case .int8: return .int8(join { if case .int8(let t) = $0 { t.elements } else { nil } })
        case .uint8: return .uint8(join { if case .uint8(let t) = $0 { t.elements } else { nil } })
        case .int32: return .int32(join { if case .int32(let t) = $0 { t.elements } else { nil } })
        case .int64: return .int64(join { if case .int64(let t) = $0 { t.elements } else { nil } })
        }
    }
}
