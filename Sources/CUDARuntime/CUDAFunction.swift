import CCUDA

/// A kernel of a loaded module, with what the driver knows about it and a way to launch it.
public final class CUDAFunction: @unchecked Sendable {
    public let module: CUDAModule
    public let name: String
    let handle: ccuda_function

    init(module: CUDAModule, name: String, handle: ccuda_function) {
        self.module = module
        self.name = name
        self.handle = handle
    }

    /// The driver's figures for this kernel (`cuFuncGetAttribute`).
    public func attributes() throws(CUDAError) -> CUDAFunctionAttributes {
        func attribute(_ attribute: ccuda_function_attribute) throws(CUDAError) -> Int {
            var value: Int32 = 0
            let handle = handle
            try module.context.call("cuFuncGetAttribute(\(attribute.rawValue))", kernel: name) {
                $0.cuFuncGetAttribute(&value, attribute, handle)
            }
            return Int(value)
        }
        return CUDAFunctionAttributes(
            registers: try attribute(CCUDA_FUNC_ATTRIBUTE_NUM_REGS),
            localBytes: try attribute(CCUDA_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES),
            maxThreadsPerBlock: try attribute(CCUDA_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK),
            staticSharedBytes: try attribute(CCUDA_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES),
            constantBytes: try attribute(CCUDA_FUNC_ATTRIBUTE_CONST_SIZE_BYTES),
            maxDynamicSharedBytes: try attribute(CCUDA_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES),
            ptxVersion: try attribute(CCUDA_FUNC_ATTRIBUTE_PTX_VERSION),
            binaryVersion: try attribute(CCUDA_FUNC_ATTRIBUTE_BINARY_VERSION))
    }

    /// Allows launches with up to `bytes` of dynamic shared memory. Past 48 KiB a kernel must opt in,
    /// up to ``CUDADevice/maxSharedMemoryPerBlockOptin`` minus its static shared memory.
    public func setMaxDynamicSharedMemory(_ bytes: Int) throws(CUDAError) {
        guard let value = Int32(exactly: bytes), value >= 0 else {
            throw .invalidArgument("kernel '\(name)': \(bytes) bytes of dynamic shared memory")
        }
        let handle = handle
        try module.context.call("cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES, \(bytes))", kernel: name) {
            $0.cuFuncSetAttribute(handle, CCUDA_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, value)
        }
    }
}

/// What the driver reports about a loaded kernel.
public struct CUDAFunctionAttributes: Sendable, Hashable {
    /// Registers per thread.
    public let registers: Int
    /// Local memory per thread in bytes: spills and stack arrays.
    public let localBytes: Int
    /// The largest block this kernel can be launched with, given its registers.
    public let maxThreadsPerBlock: Int
    /// Static (`__shared__`) shared memory in bytes.
    public let staticSharedBytes: Int
    public let constantBytes: Int
    /// The current limit on dynamic shared memory; see ``CUDAFunction/setMaxDynamicSharedMemory(_:)``.
    public let maxDynamicSharedBytes: Int
    /// The PTX and binary architecture versions, 10 × major + minor (90 for sm_90).
    public let ptxVersion: Int
    public let binaryVersion: Int
}
