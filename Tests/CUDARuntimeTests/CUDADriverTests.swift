@testable import CUDARuntime
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class CUDADriverTests: XCTestCase {
    /// Whether the dynamic loader can open the driver library at all.
    private var driverLibraryLoads: Bool {
        guard let handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL) else { return false }
        dlclose(handle)
        return true
    }

    func testAvailabilityWithoutADriverSaysSo() throws {
        guard !driverLibraryLoads else {
            throw XCTSkip("libcuda.so.1 loads on this machine; the GPU path is checked by q3d verify")
        }
        let availability = CUDADriver.availability()
        guard case let .unavailable(reason) = availability else { return XCTFail("\(availability)") }
        XCTAssertTrue(reason.hasPrefix("no CUDA driver (libcuda.so.1 not found"), reason)
        XCTAssertThrowsError(try CUDADevice(ordinal: 0)) { error in
            guard case CUDAError.driverNotFound = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try CUDASelfTest.run()) { error in
            guard case CUDAError.driverNotFound = error else { return XCTFail("\(error)") }
        }
    }

    func testAvailabilityWithADriverNeverTraps() throws {
        guard driverLibraryLoads else { throw XCTSkip("no libcuda.so.1 on this machine") }
        switch CUDADriver.availability() {
        case let .available(version, devices):
            XCTAssertGreaterThan(devices, 0)
            XCTAssertGreaterThanOrEqual(version.major, 11)
        case let .unavailable(reason):
            XCTAssertTrue(reason.hasPrefix("no CUDA device ("), reason)
        }
    }

    func testDriverErrorsNameTheCallTheErrorAndTheKernel() {
        let error = CUDAError.driver(
            call: "cuStreamSynchronize", code: 700, name: "CUDA_ERROR_ILLEGAL_ADDRESS",
            message: "an illegal memory access was encountered", kernel: "conv")
        XCTAssertEqual(error.description, "cuStreamSynchronize failed (kernel 'conv'): CUDA_ERROR_ILLEGAL_ADDRESS (700): "
            + "an illegal memory access was encountered")
    }

    func testComputeCapabilityArchitectures() {
        XCTAssertEqual(ComputeCapability(major: 9, minor: 0).arch, "sm_90a")
        XCTAssertEqual(ComputeCapability(major: 9, minor: 0).baseArch, "sm_90")
        XCTAssertEqual(ComputeCapability(major: 8, minor: 6).arch, "sm_86")
        XCTAssertEqual(ComputeCapability(major: 12, minor: 0).arch, "sm_120a")
        XCTAssertLessThan(ComputeCapability(major: 8, minor: 9), ComputeCapability(major: 9, minor: 0))
    }

    func testDriverVersionDecoding() {
        XCTAssertEqual(CUDAVersion(encoded: 12040), CUDAVersion(major: 12, minor: 4))
        XCTAssertEqual(CUDAVersion(encoded: 13000).description, "13.0")
    }

    func testSelfTestReferenceMatchesDp4a() {
        // Bytes, least significant first: a = (1, -2, 3, -128), b = (5, 6, -7, -128).
        let a = Int32(bitPattern: 0x8003_FE01)
        let b = Int32(bitPattern: 0x80F9_0605)
        XCTAssertEqual(CUDASelfTest.dotProduct(a, b, 10), 10 + 5 - 12 - 21 + 16384)
        XCTAssertEqual(CUDASelfTest.dotProduct(a, b, Int32.max), Int32.max &+ (5 - 12 - 21 + 16384), "wraps like the GPU")
    }
}
