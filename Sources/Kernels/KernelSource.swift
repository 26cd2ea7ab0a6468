import Tensors

/// One rendered CUDA kernel and everything a runner needs to launch it, shared by all templates.
///
/// The text is CUDA C++ for NVRTC with no includes. It starts with a comment naming the template, its
/// version, the workload and the configuration (as JSON), the launch dimensions and the parameters, so
/// that a kernel found in a log or a profile explains itself. Rendering is deterministic: the same
/// inputs give the same bytes, so the text can be hashed, cached and compared with a golden file.
public struct KernelSource: Hashable, Codable, Sendable {
    /// The template that rendered it ("dp4a_conv3d_ncdhw4c").
    public var template: String
    /// Bumped whenever the template's output changes for the same configuration.
    public var templateVersion: Int
    /// The `extern "C" __global__` function to look up in the compiled module.
    public var name: String
    /// CUDA C++ source.
    public var text: String
    /// Blocks to launch.
    public var grid: LaunchDimensions
    /// Threads per block.
    public var block: LaunchDimensions
    /// Bytes of dynamic shared memory to pass at launch; above 48 KiB the runner must first raise
    /// the function's `MAX_DYNAMIC_SHARED_SIZE_BYTES` attribute.
    public var dynamicSharedBytes: Int
    /// Bytes of shared memory the kernel declares statically (for reports; nothing to pass).
    public var staticSharedBytes: Int
    /// The kernel's parameters in declaration order.
    public var parameters: [KernelParameter]

    public init(
        template: String, templateVersion: Int, name: String, text: String,
        grid: LaunchDimensions, block: LaunchDimensions, dynamicSharedBytes: Int, staticSharedBytes: Int,
        parameters: [KernelParameter]
    ) {
        self.template = template
        self.templateVersion = templateVersion
        self.name = name
        self.text = text
        self.grid = grid
        self.block = block
        self.dynamicSharedBytes = dynamicSharedBytes
        self.staticSharedBytes = staticSharedBytes
        self.parameters = parameters
    }
}

/// One parameter of a rendered kernel, in the order the kernel declares it.
public struct KernelParameter: Hashable, Codable, Sendable, CustomStringConvertible {
    /// What the runner passes.
    public enum Kind: Hashable, Codable, Sendable {
        /// A device pointer to `count` elements of `element`, stored in `layout` when it is an
        /// activation or a weight. `writable` is false for `const` inputs.
        case buffer(element: DType, count: Int, layout: Layout?, writable: Bool)
        /// A `float` passed by value.
        case float32
        /// An `int` passed by value.
        case int32
    }

    /// What the value means to the convolution, so a runner can bind values by role, not position.
    public enum Role: String, Hashable, Codable, Sendable {
        case input, weight, output, scale, bias, residual, residualScale
        /// Scratch memory the kernel writes and reads back within one launch (split-K partial sums);
        /// its contents before and after a launch do not matter.
        case workspace
        /// int32 counters that must be zero before the first launch; every launch leaves them zero.
        case counters
    }

    /// The name in the kernel's signature.
    public var name: String
    public var role: Role
    public var kind: Kind
    /// For weights laid out for fewer groups than the convolution has (a kernel that packs several
    /// narrow groups into one GEMM): the groups of that layout, whose weights are the convolution's
    /// regrouped block-diagonally (``ConvWeights/regrouped(_:parameters:into:)``); nil when the layout
    /// has the convolution's own groups.
    public var weightGroups: Int?

    public init(name: String, role: Role, kind: Kind, weightGroups: Int? = nil) {
        self.name = name
        self.role = role
        self.kind = kind
        self.weightGroups = weightGroups
    }

    public var description: String {
        switch kind {
        case let .buffer(element, count, layout, writable):
            let access = writable ? "" : "const "
            let laid = layout.map { " \($0)" } ?? ""
            let regrouped = weightGroups.map { " in \($0) groups (block-diagonal)" } ?? ""
            return "\(name): \(access)\(element)[\(count)]\(laid)\(regrouped)"
        case .float32: return "\(name): float"
        case .int32: return "\(name): int"
        }
    }
}
