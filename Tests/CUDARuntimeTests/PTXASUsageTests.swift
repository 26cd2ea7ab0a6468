@testable import CUDARuntime
import XCTest

final class PTXASUsageTests: XCTestCase {
    let twoKernels = """
        ptxas info    : 0 bytes gmem
        ptxas info    : Compiling entry function '_Z4convPKaPai' for 'sm_90a'
        ptxas info    : Function properties for _Z4convPKaPai
        ptxas         .     16 bytes stack frame, 12 bytes spill stores, 8 bytes spill loads
        ptxas info    : Used 255 registers, used 1 barriers, 49152 bytes smem, 380 bytes cmem[0]
        ptxas info    : Compiling entry function 'pack' for 'sm_90a'
        ptxas info    : Function properties for pack
        ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
        ptxas info    : Used 18 registers, 372 bytes cmem[0]
        ptxas info    : Compile time = 3.100 ms
        """

    func testReadsTheNamedKernel() {
        XCTAssertEqual(PTXASUsage(log: twoKernels, kernel: "pack"),
                       PTXASUsage(registers: 18, spillBytes: 0, sharedBytes: 0))
    }

    func testMatchesAMangledName() {
        XCTAssertEqual(PTXASUsage(log: twoKernels, kernel: "conv"),
                       PTXASUsage(registers: 255, spillBytes: 20, sharedBytes: 49152))
    }

    func testUnknownNameAmongSeveralKernelsGivesNothing() {
        XCTAssertEqual(PTXASUsage(log: twoKernels, kernel: "other"), PTXASUsage())
        XCTAssertEqual(PTXASUsage(log: twoKernels, kernel: "con"), PTXASUsage(), "a prefix of a name is not a match")
    }

    func testSingleKernelIsTakenWhateverItsName() {
        let log = """
            nvrtc: warning: Architectures prior to '<compute/sm>_75' are deprecated
            ptxas info    : Compiling entry function '_Z3addPiS_' for 'sm_61'
            ptxas info    : Function properties for _Z3addPiS_
            ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
            ptxas info    : Used 7 registers, 256 bytes smem, 348 bytes cmem[0]
            """
        XCTAssertEqual(PTXASUsage(log: log, kernel: "kernel"), PTXASUsage(registers: 7, spillBytes: 0, sharedBytes: 256))
    }

    func testLogWithoutPTXASReport() {
        XCTAssertEqual(PTXASUsage(log: "", kernel: "k"), PTXASUsage())
    }
}
