import Foundation
import CUDARuntime
import XCTest

final class NVRTCTests: XCTestCase {
    func testLibrariesAreListedNewestFirstWithTheirArchitectures() throws {
        let libraries = try requireNVRTC()
        for library in libraries {
            XCTAssertFalse(library.architectures.isEmpty, "\(library)")
            XCTAssertEqual(library.architectures, library.architectures.sorted(), "\(library)")
        }
        XCTAssertEqual(libraries.map(\.version), libraries.map(\.version).sorted(by: >))
        XCTAssertEqual(Set(libraries.map(\.version)).count, libraries.count, "one library per version")
        XCTAssertFalse(NVRTC.searched().isEmpty)
    }

    func testEachArchitectureGoesToTheNewestLibraryThatSupportsIt() throws {
        let libraries = try requireNVRTC()
        for arch in ["sm_61", "sm_75", "sm_80", "sm_90", "sm_90a"] {
            let supporting = libraries.filter { $0.supports(arch) }
            guard let newest = supporting.first else {
                XCTAssertThrowsError(try NVRTC.library(for: arch)) { error in
                    guard case CUDAError.archNotSupported = error else { return XCTFail("\(error)") }
                }
                continue
            }
            XCTAssertEqual(try NVRTC.library(for: arch).version, newest.version, arch)
        }
        // With both pip wheels installed, NVRTC 13 (sm_75 and later) takes sm_90a and 12.x takes sm_61.
        if let thirteen = libraries.first(where: { $0.version.major == 13 }),
            libraries.contains(where: { $0.version.major == 12 })
        {
            XCTAssertFalse(thirteen.supports("sm_61"))
            XCTAssertEqual(try NVRTC.library(for: "sm_61").version.major, 12)
            XCTAssertEqual(try NVRTC.library(for: "sm_90a").version.major, 13)
        }
    }

    func testArchitectureSuffixes() throws {
        let library = try requireNVRTC(for: "sm_90")
        XCTAssertTrue(library.supports("sm_90a"))
        XCTAssertFalse(library.supports("sm_80a"), "architecture-specific variants start at sm_90")
        XCTAssertFalse(library.supports("sm_90f"), "family variants start at sm_100")
    }

    func testMalformedArchitecturesAreRejected() {
        for arch in ["sm90", "compute_80", "sm_", "sm_9x", "sm_a", "SM_80", "sm_-80"] {
            XCTAssertThrowsError(try NVRTC.library(for: arch), arch) { error in
                guard case CUDAError.invalidArch(let name) = error else { return XCTFail("\(arch): \(error)") }
                XCTAssertEqual(name, arch)
            }
        }
    }

    func testDotProductCompilesForEachArchitecture() throws {
        for arch in ["sm_61", "sm_80", "sm_90", "sm_90a"] {
            let library = try requireNVRTC(for: arch)
            let kernel = try NVRTC.compile(source: dotProductSource, name: "dot4", arch: arch, options: verboseOptions)
            XCTAssertEqual(kernel.name, "dot4")
            XCTAssertEqual(kernel.arch, arch)
            XCTAssertEqual(kernel.nvrtcVersion, library.version.description, arch)
            XCTAssertEqual(Array(kernel.cubin.prefix(4)), [0x7F, 0x45, 0x4C, 0x46], "\(arch): a CUBIN is an ELF file")
            XCTAssertTrue(kernel.log.contains("ptxas"), "\(arch): \(kernel.log)")
            XCTAssertGreaterThan(kernel.registers ?? 0, 0, "\(arch): \(kernel.log)")
            XCTAssertEqual(kernel.spillBytes, 0, "\(arch): \(kernel.log)")
            XCTAssertEqual(kernel.sharedBytes, 0, "\(arch): \(kernel.log)")
        }
    }

    func testPTXASFiguresAreNilWithoutVerboseOutput() throws {
        _ = try requireNVRTC(for: "sm_80")
        let kernel = try NVRTC.compile(source: dotProductSource, name: "dot4", arch: "sm_80")
        XCTAssertFalse(kernel.cubin.isEmpty)
        XCTAssertNil(kernel.registers)
        XCTAssertNil(kernel.spillBytes)
        XCTAssertNil(kernel.sharedBytes)
    }

    func testStaticSharedMemoryIsReported() throws {
        _ = try requireNVRTC(for: "sm_80")
        let source = """
            extern "C" __global__ void stage(const int* a, int* b) {
                __shared__ int tile[256];
                tile[threadIdx.x] = a[threadIdx.x];
                __syncthreads();
                b[threadIdx.x] = tile[255 - threadIdx.x];
            }
            """
        let kernel = try NVRTC.compile(source: source, name: "stage", arch: "sm_80", options: verboseOptions)
        XCTAssertEqual(kernel.sharedBytes, 1024, kernel.log)
    }

    func testWgmmaNeedsTheArchitectureSpecificTarget() throws {
        _ = try requireNVRTC(for: "sm_90a")
        let kernel = try NVRTC.compile(source: wgmmaFenceSource, name: "fence", arch: "sm_90a", options: verboseOptions)
        XCTAssertFalse(kernel.cubin.isEmpty)

        XCTAssertThrowsError(try NVRTC.compile(source: wgmmaFenceSource, name: "fence", arch: "sm_90")) { error in
            guard case let CUDAError.compilation(name, arch, log) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "fence")
            XCTAssertEqual(arch, "sm_90")
            XCTAssertTrue(log.contains("wgmma") && log.contains("sm_90"), log)
            XCTAssertTrue("\(error)".contains("kernel 'fence' does not compile for sm_90"), "\(error)")
        }
    }

    func testSyntaxErrorNamesTheLine() throws {
        _ = try requireNVRTC(for: "sm_80")
        let source = """
            extern "C" __global__ void broken(int* a) {
                int i = threadIdx.x;
                a[i] = i +;
            }
            """
        XCTAssertThrowsError(try NVRTC.compile(source: source, name: "broken", arch: "sm_80")) { error in
            guard case let CUDAError.compilation(name, _, log) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "broken")
            XCTAssertTrue(log.contains("broken.cu(3)"), log)
            XCTAssertTrue(log.contains("error"), log)
        }
    }

    func testInvalidOptionIsAnNVRTCError() throws {
        _ = try requireNVRTC(for: "sm_80")
        XCTAssertThrowsError(
            try NVRTC.compile(source: dotProductSource, name: "dot4", arch: "sm_80", options: ["--no-such-option"])
        ) { error in
            guard case let CUDAError.nvrtc(call, code, message) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(call, "nvrtcCompileProgram")
            XCTAssertNotEqual(code, 0)
            XCTAssertTrue(message.contains("NVRTC_ERROR"), message)
        }
    }

    func testUnsupportedArchitectureListsWhatIsAvailable() throws {
        let libraries = try requireNVRTC()
        XCTAssertThrowsError(try NVRTC.library(for: "sm_10")) { error in
            guard case let CUDAError.archNotSupported(arch, available) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(arch, "sm_10")
            XCTAssertEqual(available.map(\.library), libraries.map(\.path))
        }
    }

    func testParallelCompilesFromSeveralThreads() throws {
        _ = try requireNVRTC(for: "sm_61")
        _ = try requireNVRTC(for: "sm_90a")
        let archs = ["sm_61", "sm_80", "sm_90", "sm_90a"]
        let jobs = (0..<16).map { index in
            (arch: archs[index % archs.count],
             source: dotProductSource.replacingOccurrences(of: "c[i]);", with: "c[i]) + \(index);"))
        }
        let results = Results(count: jobs.count)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            let job = jobs[index]
            results.set(index, Result { () throws(CUDAError) in
                try NVRTC.compile(source: job.source, name: "dot4", arch: job.arch, options: verboseOptions)
            })
        }
        for (index, result) in results.values.enumerated() {
            let kernel = try XCTUnwrap(result, "job \(index)").get()
            XCTAssertEqual(kernel.arch, jobs[index].arch)
            XCTAssertFalse(kernel.cubin.isEmpty)
            XCTAssertNotNil(kernel.registers)
        }
    }
}

/// Results written by concurrent jobs, one slot each.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<CompiledKernel, CUDAError>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<CompiledKernel, CUDAError>) {
        lock.withLock { slots[index] = result }
    }

    var values: [Result<CompiledKernel, CUDAError>?] { lock.withLock { slots } }
}
