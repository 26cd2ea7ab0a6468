/// Typed access to a node's attributes, with errors that name the node and the attribute.
struct ONNXAttributes {
    let nodeName: String
    let opType: String
    private let byName: [String: Onnx_AttributeProto]

    init(_ node: Onnx_NodeProto, name: String) {
        nodeName = name
        opType = node.opType
        var map: [String: Onnx_AttributeProto] = [:]
        for a in node.attribute { map[a.name] = a }
        byName = map
    }

    private func fail(_ reason: String) -> ONNXError { .invalidNode(node: nodeName, op: opType, reason: reason) }

    /// Integer attributes are sizes, axes or flags; values past ±2^31 only come from corrupt files and
    /// would overflow shape arithmetic.
    private func checked(_ v: Int64, _ name: String) throws(ONNXError) -> Int {
        guard abs(v) <= Int64(ONNXTensor.maxDimension) else { throw fail("attribute \(name) = \(v) is out of range") }
        return Int(v)
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    func int(_ name: String) throws(ONNXError) -> Int? {
        guard let a = byName[name] else { return nil }
        guard a.type == .int || (a.type == .undefined && a.hasI) else { throw fail("attribute \(name) is not an integer") }
        return try checked(a.i, name)
    }

    func int(_ name: String, default value: Int) throws(ONNXError) -> Int { try int(name) ?? value }

    func ints(_ name: String) throws(ONNXError) -> [Int]? {
        guard let a = byName[name] else { return nil }
        guard a.type == .ints || a.type == .undefined else { throw fail("attribute \(name) is not a list of integers") }
        var out: [Int] = []
        for v in a.ints { out.append(try checked(v, name)) }
        return out
    }

    func float(_ name: String) throws(ONNXError) -> Float? {
        guard let a = byName[name] else { return nil }
        guard a.type == .float || (a.type == .undefined && a.hasF) else { throw fail("attribute \(name) is not a float") }
        return a.f
    }

    func floats(_ name: String) throws(ONNXError) -> [Float]? {
        guard let a = byName[name] else { return nil }
        guard a.type == .floats || a.type == .undefined else { throw fail("attribute \(name) is not a list of floats") }
        return a.floats
    }

    func string(_ name: String) throws(ONNXError) -> String? {
        guard let a = byName[name] else { return nil }
        guard a.type == .string || (a.type == .undefined && a.hasS) else { throw fail("attribute \(name) is not a string") }
        guard let s = String(validating: a.s, as: UTF8.self) else { throw fail("attribute \(name) is not valid UTF-8") }
        return s
    }

    func tensor(_ name: String) throws(ONNXError) -> Onnx_TensorProto? {
        guard let a = byName[name] else { return nil }
        guard a.type == .tensor || (a.type == .undefined && a.hasT) else { throw fail("attribute \(name) is not a tensor") }
        return a.t
    }

    /// The names of attributes present, for "not supported" messages.
    var names: [String] { byName.keys.sorted() }
}
