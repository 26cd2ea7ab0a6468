import CUDARuntime
import XCTest

/// The NVRTC libraries of this machine, or a skip that says where they were looked for and how to get
/// them: an NVRTC test never passes silently without NVRTC.
func requireNVRTC() throws -> [NVRTCLibrary] {
    let libraries = NVRTC.libraries()
    if libraries.isEmpty {
        throw XCTSkip(
            "NVRTC not found: searched \(NVRTC.searched().joined(separator: "; ")); "
                + "pip install nvidia-cuda-nvrtc nvidia-cuda-nvrtc-cu12")
    }
    return libraries
}

/// The NVRTC that compiles `arch`, or a skip naming the libraries found and what they support.
func requireNVRTC(for arch: String) throws -> NVRTCLibrary {
    let libraries = try requireNVRTC()
    guard let library = libraries.first(where: { $0.supports(arch) }) else {
        throw XCTSkip("no NVRTC here supports \(arch): \(libraries.map { "\($0)" }.joined(separator: ", "))")
    }
    return library
}

/// A dp4a kernel: four int8 products per 32-bit word, added to the output (sm_61 and later).
let dotProductSource = """
    extern "C" __global__ void dot4(const int* a, const int* b, int* c, int n) {
        int i = blockIdx.x * blockDim.x + threadIdx.x;
        if (i < n) c[i] = __dp4a(a[i], b[i], c[i]);
    }
    """

/// A kernel whose only instruction needs sm_90a: `wgmma` is not part of plain sm_90.
let wgmmaFenceSource = """
    extern "C" __global__ void fence() {
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
    }
    """

let verboseOptions = ["-default-device", "--std=c++17", "--ptxas-options=-v"]
