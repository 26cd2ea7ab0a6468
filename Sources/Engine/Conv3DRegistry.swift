import CUDARuntime
import ConvGeometry
import Kernels
import Tensors

/// The implementations of conv3d, each with its conditions and priority.
///
/// Priorities of the standard registry: int8 depthwise convolutions run on their own template (`dw`),
/// other int8 ones on wgmma tensor cores (sm_90a; the halo-reuse template, for stride-1 convolutions,
/// ranks below the implicit GEMM), then mma.sync tensor cores (sm_80+), then dp4a
/// (sm_61+), then the fast CPU path. float32 runs on fp16 tensor cores (`hmma_wgmma` on sm_90a, else
/// `hmma` on sm_80+: fp16 operands, fp32 accumulation, so not exact) where there is a GPU, else on the
/// CPU. The reference is exact
/// everywhere and last.
///
/// ```swift
/// let registry = Conv3DRegistry.standard
/// for impl in registry.implementations { print(impl.name, impl.priority) }
/// ```
public struct Conv3DRegistry: Sendable {
    public var implementations: [Conv3DImplementation]

    public init(_ implementations: [Conv3DImplementation]) {
        self.implementations = implementations
    }

    public func implementation(named name: String) -> Conv3DImplementation? {
        implementations.first { $0.name == name }
    }

    /// Every name, highest priority first.
    public var names: [String] { implementations.sorted { $0.priority > $1.priority }.map(\.name) }

    public static let standard = Conv3DRegistry([
        template("dw", layout: .ndhwc, priority: 500, minimum: 61),
        template("imma_wgmma", layout: .ndhwc, priority: 400, archSpecific: 90),
        // Below imma_wgmma until timings say otherwise: a tuning log that measured it faster picks it.
        template("imma_halo", layout: .ndhwc, priority: 350, archSpecific: 90),
        template("imma", layout: .ndhwc, priority: 300, minimum: 80),
        template("dp4a", layout: .ncdhwc(block: 4), priority: 200, minimum: 61),
        template("hmma_wgmma", layout: .ndhwc, priority: 160, archSpecific: 90, dtypes: [.float32], isExact: false),
        template("hmma", layout: .ndhwc, priority: 150, minimum: 80, dtypes: [.float32], isExact: false),
        Conv3DImplementation(name: "fast", device: .cpu, dtypes: [.int8, .float32], layout: .ncdhw, priority: 100),
        Conv3DImplementation(name: "reference", device: .cpu, dtypes: [.int8, .float32], layout: .ncdhw, priority: 0),
    ])

    /// A GPU kernel template of ``KernelCatalog``: its shape conditions are those its space reports.
    static func template(
        _ name: String, layout: Layout, priority: Int, minimum: Int? = nil, archSpecific: Int? = nil,
        dtypes: Set<ConvElementType> = [.int8], isExact: Bool = true
    ) -> Conv3DImplementation {
        Conv3DImplementation(
            name: name, device: .cuda, dtypes: dtypes, layout: layout, minimumComputeCapability: minimum,
            archSpecificComputeCapability: archSpecific, priority: priority, isExact: isExact, isTemplate: true
        ) { workload, arch in
            guard let arch else { return "needs a GPU" }
            do {
                let space = try KernelCatalog.space(impl: name, workload: workload, arch: arch)
                _ = try KernelCatalog.defaultPoint(impl: name, workload: workload, arch: arch, space: space)
                return nil
            } catch let error as KernelsError {
                if case .unsupportedWorkload(_, let reason) = error { return reason }
                return error.description
            } catch {
                return "\(error)"
            }
        }
    }
}

extension DeviceEnvironment {
    /// GPU 0 of this machine, or why there is none. Never traps.
    public static func current() -> DeviceEnvironment {
        if case .unavailable(let why) = CUDADriver.availability() { return .cpuOnly(reason: why) }
        do {
            let device = try CUDADevice(ordinal: 0)
            return .cuda(arch: GPUArchitecture(device), name: device.name)
        } catch {
            return .cpuOnly(reason: error.description)
        }
    }
}
