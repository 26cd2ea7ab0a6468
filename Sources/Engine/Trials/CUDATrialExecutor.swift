import CUDARuntime
import Kernels

/// Trials of the GPU templates on GPU 0, in the worker process that owns the CUDA context: each
/// kernel is rendered, compiled through the module cache (the parent has usually compiled it already),
/// verified exactly against the CPU once and timed between device events.
///
/// The operands and the CPU reference of the last problem are kept, so the trials of one workload
/// pay for them once.
public final class CUDATrialExecutor: TrialExecutor {
    public var mustExit: Bool { contextLost }
    let context: CUDAContext
    let device: CUDADevice
    let arch: GPUArchitecture
    let cache: ModuleCache
    private var check: (key: String, check: KernelCheck)?
    /// Set once a load, launch or timing call failed: a kernel fault leaves the context unusable, so the
    /// worker answers and exits, and the parent starts a fresh one.
    public private(set) var contextLost = false

    public init(cache: ModuleCache = ModuleCache()) throws {
        if case .unavailable(let why) = CUDADriver.availability() { throw EngineError.cudaUnavailable(why) }
        context = try CUDAContext(ordinal: 0)
        device = try CUDADevice(ordinal: 0)
        arch = GPUArchitecture(device)
        self.cache = cache
    }

    public func run(_ request: TrialRequest) -> TrialResult {
        let id = request.id
        let selection: KernelSelection
        let convRequest: Conv3DRequest
        do {
            guard request.repeats >= 1 else { throw EngineError.invalidInput("repeats is \(request.repeats); expected 1 or more") }
            convRequest = try request.convRequest()
            guard convRequest.dtype == KernelCatalog.elementType(impl: request.impl) else {
                throw EngineError.invalidInput(
                    "\(request.impl) takes \(KernelCatalog.elementType(impl: request.impl).rawValue) operands, not \(convRequest.dtype.rawValue)")
            }
            selection = try KernelCatalog.select(
                impl: request.impl, workload: convRequest.parameters, arch: arch,
                output: convRequest.outputKind, config: request.config,
                configIndex: nil, configSource: "trial")
        } catch {
            return .failed(id, stage: "request", "\(error)")
        }
        if request.prepareOnly == true {
            do {
                _ = try problemCheck(request, convRequest)
                return .prepared(id)
            } catch {
                contextLost = true
                return .failed(id, stage: "prepare", "\(error)")
            }
        }
        let compiled: CompiledKernel
        do {
            compiled = try LoadedConvKernel.compile(selection.source, arch: device.arch, cache: cache)
        } catch {
            return .failed(id, stage: "compile", "\(error)")
        }
        let kernel: LoadedConvKernel
        let check: KernelCheck
        do {
            kernel = try LoadedConvKernel(selection.source, compiled: compiled, context: context)
            check = try problemCheck(request, convRequest)
        } catch {
            contextLost = true
            return .failed(id, stage: "load", "\(error)")
        }
        do {
            let outcome = try check.verify(kernel)
            guard outcome.passed else {
                return .failed(
                    id, stage: "verify",
                    "wrong answer: \(outcome.mismatches) mismatches, \(outcome.unwritten) unwritten, "
                        + "max |err| \(outcome.errors.maxAbs)")
            }
        } catch {
            contextLost = true
            return .failed(id, stage: "verify", "\(error)")
        }
        do {
            let times = try check.time(kernel, repeats: request.repeats, warmup: max(0, request.warmup))
            var detail = "\(device.name), \(device.arch)"
            if let r = compiled.registers { detail += ", \(r) registers" }
            if let s = compiled.spillBytes, s > 0 { detail += ", \(s) spill bytes" }
            return TrialResult(id: id, milliseconds: Timing.median(times), times: times, detail: detail)
        } catch {
            contextLost = true
            return .failed(id, stage: "time", "\(error)")
        }
    }

    /// Runs a kernel that faults (writes to address 8) or spins forever, as a broken config would:
    /// the fault is a failed trial that ends this worker; the spin is for the parent's time limit.
    public func misbehave(_ id: Int, spin: Bool) -> TrialResult {
        let source = """
            extern "C" __global__ void q3d_debug_fault(int* p, int spin) {
                // The clock is read by volatile asm, so the compiler cannot prove the loop endless and
                // drop it (it did drop a loop on a volatile local: the spin then faulted instead).
                if (spin) { for (;;) { if (clock64() < 0) break; } }
                p[threadIdx.x] = 1;
            }
            """
        do {
            let compiled = try NVRTC.compile(source: source, name: "q3d_debug_fault", arch: device.arch)
            let module = try CUDAModule(context: context, kernel: compiled)
            let function = try module.function(named: "q3d_debug_fault")
            try function.launch(grid: (1, 1, 1), block: (32, 1, 1), arguments: [.pointer(8), .int32(spin ? 1 : 0)])
            try context.synchronize()
            return .failed(id, stage: "time", "the debug kernel did not fault")
        } catch {
            contextLost = true
            return .failed(id, stage: "time", "\(error)")
        }
    }

    private func problemCheck(_ request: TrialRequest, _ convRequest: Conv3DRequest) throws -> KernelCheck {
        if let check, check.key == request.problemKey { return check.check }
        self.check = nil  // frees the previous problem's device buffers first
        let made = KernelCheck(
            operands: DeviceOperands(problem: try Conv3DProblem(convRequest), context: context),
            int8Output: convRequest.int8Output)
        _ = try made.reference()
        check = (request.problemKey, made)
        return made
    }
}
