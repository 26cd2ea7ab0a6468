import ArgumentParser
import CPUKernels
import CUDARuntime

/// `q3d doctor`: what this machine offers Q3D.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Show CPU cores and SIMD features, GPUs and NVRTC libraries.")

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Also compile and run a small kernel on each GPU.")
    var selfTest = false

    struct Report: Encodable {
        struct CPU: Encodable {
            let activeCores: Int
            let avx2, fma, avx512f, avx512vnni, avxVNNI: Bool
            let instructionSet: String
        }
        struct GPU: Encodable {
            let ordinal: Int
            let name: String
            let sm: String
            let memoryGiB: Double
            let multiprocessors: Int
            let sharedMemoryPerBlockOptinKiB: Int
            let selfTest: String?
        }
        struct NVRTCEntry: Encodable {
            let version: String
            let path: String
            let architectures: [Int]
        }
        let cpu: CPU
        let cuda: String
        let driverVersion: String?
        let gpus: [GPU]
        let nvrtc: [NVRTCEntry]
        let nvrtcSearched: [String]?
    }

    func run() throws {
        let f = CPUFeatures.current
        let cpu = Report.CPU(
            activeCores: f.activeCores, avx2: f.avx2, fma: f.fma, avx512f: f.avx512f, avx512vnni: f.avx512vnni,
            avxVNNI: f.avxVNNI, instructionSet: f.bestInstructionSet.rawValue)
        var cudaLine = "available"
        var driver: String?
        var gpus: [Report.GPU] = []
        switch CUDADriver.availability() {
        case .unavailable(let reason):
            cudaLine = reason
        case .available(let version, _):
            driver = version.description
            for device in (try? CUDADevice.all()) ?? [] {
                var selfTestLine: String?
                if selfTest {
                    do {
                        let r = try CUDASelfTest.run(ordinal: device.ordinal)
                        selfTestLine = r.passed ? "passed" : "FAILED: \(r.mismatches) mismatches"
                    } catch {
                        selfTestLine = "FAILED: \(error)"
                    }
                }
                gpus.append(
                    Report.GPU(
                        ordinal: device.ordinal, name: device.name, sm: device.arch,
                        memoryGiB: Double(device.totalMemory) / Double(1 << 30), multiprocessors: device.multiprocessors,
                        sharedMemoryPerBlockOptinKiB: device.maxSharedMemoryPerBlockOptin / 1024, selfTest: selfTestLine))
            }
        }
        let libraries = NVRTC.libraries()
        let nvrtc = libraries.map {
            Report.NVRTCEntry(version: $0.version.description, path: $0.path, architectures: $0.architectures)
        }
        let report = Report(
            cpu: cpu, cuda: cudaLine, driverVersion: driver, gpus: gpus, nvrtc: nvrtc,
            nvrtcSearched: libraries.isEmpty ? NVRTC.searched() : nil)
        if json {
            print(try JSONText.encode(report))
            return
        }
        print("CPU: \(cpu.activeCores) cores; avx2 \(yes(f.avx2)), fma \(yes(f.fma)), avx512f \(yes(f.avx512f)), "
            + "avx512-vnni \(yes(f.avx512vnni)), avx-vnni \(yes(f.avxVNNI)); CPU kernels use \(cpu.instructionSet)")
        print("CUDA: \(cudaLine)\(driver.map { " (driver API \($0))" } ?? "")")
        for g in gpus {
            print("  GPU \(g.ordinal): \(g.name), \(g.sm), \(Format.fixed(g.memoryGiB, 1)) GiB, \(g.multiprocessors) SMs, "
                + "\(g.sharedMemoryPerBlockOptinKiB) KiB shared per block\(g.selfTest.map { "; self-test \($0)" } ?? "")")
        }
        if nvrtc.isEmpty {
            print("NVRTC: not found (python3 -m pip install nvidia-cuda-nvrtc nvidia-cuda-nvrtc-cu12); searched:")
            for place in NVRTC.searched() { print("  \(place)") }
        }
        for n in nvrtc {
            print("NVRTC \(n.version): \(n.path)")
            print("  sm_\(n.architectures.map(String.init).joined(separator: ", sm_"))")
        }
    }

    private func yes(_ b: Bool) -> String { b ? "yes" : "no" }
}
