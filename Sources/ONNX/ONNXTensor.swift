import FoundationEssentials
import Graph
import Tensors

/// Conversion between ONNX's `TensorProto` and ``AnyTensor``: raw little-endian bytes, the typed
/// fields (`float_data`, `int32_data`, ...) and external data files.
enum ONNXTensor {
    /// The largest dimension Q3D accepts in a file; anything larger is corruption, not a model.
    static let maxDimension = 1 << 31

    static func decode(_ proto: Onnx_TensorProto, baseDirectory: String?) throws(ONNXError) -> AnyTensor {
        let name = proto.name
        func fail(_ reason: String) -> ONNXError { .invalidTensor(name: name, reason: reason) }
        guard proto.dims.allSatisfy({ $0 >= 0 && $0 <= Int64(maxDimension) }) else {
            throw fail("dimensions \(proto.dims) are out of range")
        }
        let shape = proto.dims.map { Int($0) }
        guard let count = Tensor<Float>.elementCount(of: shape) else { throw fail("shape \(shape) is too large") }
        let raw: Data?
        if proto.dataLocation == .external {
            raw = try external(proto, baseDirectory: baseDirectory)
        } else {
            raw = proto.hasRawData ? proto.rawData : nil
        }
        func fromRaw<T>(_ type: T.Type, _ data: Data) throws(ONNXError) -> [T] {
            let size = MemoryLayout<T>.size
            guard data.count == count * size else {
                throw fail("has \(data.count) bytes of data; shape \(shape) of \(size)-byte elements needs \(count * size)")
            }
            return data.withUnsafeBytes { buffer in
                (0..<count).map { buffer.loadUnaligned(fromByteOffset: $0 * size, as: T.self) }
            }
        }
        func typed<T>(_ values: [T], _ field: String) throws(ONNXError) -> [T] {
            guard values.count == count else {
                throw fail("\(field) has \(values.count) values; shape \(shape) needs \(count)")
            }
            return values
        }
        func make<T: TensorElement>(_ elements: [T]) -> Tensor<T> { Tensor(computedShape: shape, elements: elements) }
        switch Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) {
        case .float:
            if let raw { return .float32(make(try fromRaw(UInt32.self, raw).map { Float(bitPattern: UInt32(littleEndian: $0)) })) }
            return .float32(make(try typed(proto.floatData, "float_data")))
        case .double:
            if let raw { return .float32(make(try fromRaw(UInt64.self, raw).map { Float(Double(bitPattern: UInt64(littleEndian: $0))) })) }
            return .float32(make(try typed(proto.doubleData, "double_data").map { Float($0) }))
        case .float16:
            let bits: [UInt16]
            if let raw { bits = try fromRaw(UInt16.self, raw).map { UInt16(littleEndian: $0) } }
            else { bits = try typed(proto.int32Data, "int32_data").map { UInt16(truncatingIfNeeded: $0) } }
            return .float32(make(bits.map { Float(Float16(bitPattern: $0)) }))
        case .int8:
            if let raw { return .int8(make(try fromRaw(Int8.self, raw))) }
            return .int8(make(try typed(proto.int32Data, "int32_data").map { Int8(truncatingIfNeeded: $0) }))
        case .uint8:
            if let raw { return .uint8(make(try fromRaw(UInt8.self, raw))) }
            return .uint8(make(try typed(proto.int32Data, "int32_data").map { UInt8(truncatingIfNeeded: $0) }))
        case .int32:
            if let raw { return .int32(make(try fromRaw(Int32.self, raw).map { Int32(littleEndian: $0) })) }
            return .int32(make(try typed(proto.int32Data, "int32_data")))
        case .int64:
            if let raw { return .int64(make(try fromRaw(Int64.self, raw).map { Int64(littleEndian: $0) })) }
            return .int64(make(try typed(proto.int64Data, "int64_data")))
        default:
            throw fail("element type \(proto.dataType) is not supported; Q3D reads float, double, float16, int8, uint8, int32 and int64")
        }
    }

    /// The bytes of an external-data tensor: `location` relative to the model's directory, optional
    /// `offset` and `length`. Locations that leave the model's directory are refused.
    private static func external(_ proto: Onnx_TensorProto, baseDirectory: String?) throws(ONNXError) -> Data {
        let name = proto.name
        var entries: [String: String] = [:]
        for entry in proto.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw .invalidTensor(name: name, reason: "external data has no location")
        }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw .invalidTensor(name: name, reason: "external data location '\(location)' leaves the model's directory")
        }
        guard let base = baseDirectory else {
            throw .invalidTensor(name: name, reason: "external data '\(location)' needs the model's path; load the model from a file")
        }
        let data = try FileIO.read(base + "/" + location)
        let offset = Int(entries["offset"] ?? "0") ?? -1
        let length = entries["length"].map { Int($0) ?? -1 } ?? (data.count - max(offset, 0))
        guard offset >= 0, length >= 0, offset <= data.count, length <= data.count - offset else {
            throw .invalidTensor(name: name, reason: "external data range offset \(entries["offset"] ?? "0"), length \(entries["length"] ?? "-") lies outside '\(location)' (\(data.count) bytes)")
        }
        return data.subdata(in: (data.startIndex + offset)..<(data.startIndex + offset + length))
    }

    /// A `TensorProto` holding `data` as raw little-endian bytes.
    static func encode(_ data: AnyTensor, name: String) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = data.shape.map { Int64($0) }
        func bytes<T>(_ values: [T], _ type: Onnx_TensorProto.DataType) {
            proto.dataType = Int32(type.rawValue)
            proto.rawData = values.withUnsafeBytes { Data($0) }
        }
        // Q3D runs on little-endian machines only (x86_64, arm64), so memory order is ONNX's order.
        switch data {
        case .float32(let t): bytes(t.elements, .float)
        case .float16(let t): bytes(t.elements, .float16)
        case .int8(let t): bytes(t.elements, .int8)
        case .uint8(let t): bytes(t.elements, .uint8)
        case .int32(let t): bytes(t.elements, .int32)
        case .int64(let t): bytes(t.elements, .int64)
        }
        return proto
    }

    /// Q3D's element type for an ONNX `elem_type`, or nil.
    static func dtype(_ elemType: Int32) -> DType? {
        switch Onnx_TensorProto.DataType(rawValue: Int(elemType)) {
        case .float, .double, .float16: .float32
        case .int8: .int8
        case .uint8: .uint8
        case .int32: .int32
        case .int64: .int64
        default: nil
        }
    }

    static func elemType(_ dtype: DType) -> Int32 {
        let t: Onnx_TensorProto.DataType =
            switch dtype {
            case .float32: .float
            case .float16: .float16
            case .int8: .int8
            case .uint8: .uint8
            case .int32: .int32
            case .int64: .int64
            }
        return Int32(t.rawValue)
    }
}
