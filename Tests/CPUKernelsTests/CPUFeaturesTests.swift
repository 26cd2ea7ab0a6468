import CPUKernels
import XCTest

final class CPUFeaturesTests: XCTestCase {
    func testDetectionIsConsistent() {
        let cpu = CPUFeatures.current
        XCTAssertGreaterThanOrEqual(cpu.activeCores, 1)
        XCTAssertTrue(cpu.supports(.scalar))
        XCTAssertEqual(cpu.supports(.avx2), cpu.avx2 && cpu.fma)
        XCTAssertEqual(CPUInstructionSet.best, cpu.supports(.avx2) ? .avx2 : .scalar)
        XCTAssertEqual(CPUConv3DOptions().threads, cpu.activeCores)
        XCTAssertTrue(cpu.description.hasPrefix("\(cpu.activeCores) core"), cpu.description)
    }

    func testDescriptionListsPresentFeatures() {
        let cpu = CPUFeatures(activeCores: 2, avx2: true, fma: true, avx512f: false, avx512vnni: false, avxVNNI: false)
        XCTAssertEqual(cpu.description, "2 cores, avx2 fma")
        XCTAssertEqual(cpu.bestInstructionSet, .avx2)
        let bare = CPUFeatures(
            activeCores: 1, avx2: false, fma: false, avx512f: false, avx512vnni: false, avxVNNI: false)
        XCTAssertEqual(bare.description, "1 core, no vector extensions the kernels use")
        XCTAssertEqual(bare.bestInstructionSet, .scalar)
    }
}
