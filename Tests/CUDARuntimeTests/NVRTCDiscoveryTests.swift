@testable import CUDARuntime
import Foundation
import XCTest

final class NVRTCDiscoveryTests: XCTestCase {
    func testPinnedLibraryIsTheOnlyOneConsidered() throws {
        let libraries = try requireNVRTC()
        let library = try XCTUnwrap(libraries.last)
        let discovery = NVRTCDiscovery(environment: { $0 == "Q3D_NVRTC" ? library.path : nil })
        XCTAssertEqual(discovery.libraries.map(\.path), [library.path])
        XCTAssertEqual(discovery.libraries.first?.version, library.version)
    }

    func testPinnedMissingLibraryIsReported() {
        let path = "/nonexistent/libnvrtc.so.99"
        let discovery = NVRTCDiscovery(environment: { $0 == "Q3D_NVRTC" ? path : nil })
        XCTAssertTrue(discovery.libraries.isEmpty)
        XCTAssertTrue(discovery.searched.contains { $0.hasPrefix("\(path): dlopen failed") }, "\(discovery.searched)")
    }

    func testWheelsAreFoundUnderPythonPath() throws {
        let site = try temporaryDirectory()
        let wheel = "\(site)/nvidia/cu13/lib"
        try FileManager.default.createDirectory(atPath: wheel, withIntermediateDirectories: true)
        // Not a shared library: found, tried, and reported as unloadable.
        try Data("not an ELF file".utf8).write(to: URL(fileURLWithPath: "\(wheel)/libnvrtc.so.13"))
        let discovery = NVRTCDiscovery(environment: { $0 == "PYTHONPATH" ? "/nonexistent:\(site)" : nil })
        XCTAssertTrue(discovery.searched.contains { $0.hasPrefix("\(wheel)/libnvrtc.so.13: dlopen failed") },
                      "\(discovery.searched)")
        XCTAssertTrue(discovery.searched.contains("/nonexistent: no such directory"), "\(discovery.searched)")
        XCTAssertFalse(discovery.libraries.contains { $0.path.hasPrefix(site) })
    }

    func testWildcardsExpandToExistingPathsInNameOrder() throws {
        let root = try temporaryDirectory()
        for version in ["python3.12", "python3.11", "perl5"] {
            try FileManager.default.createDirectory(
                atPath: "\(root)/lib/\(version)/site-packages", withIntermediateDirectories: true)
        }
        try FileManager.default.createDirectory(atPath: "\(root)/lib/python3.10", withIntermediateDirectories: true)
        XCTAssertEqual(FileSystem.expand("\(root)/lib/python3.*/site-packages"),
                       ["\(root)/lib/python3.11/site-packages", "\(root)/lib/python3.12/site-packages"])
        XCTAssertEqual(FileSystem.expand("\(root)/lib/perl5"), ["\(root)/lib/perl5"])
        XCTAssertEqual(FileSystem.expand("\(root)/none/*"), [])
    }
}

extension XCTestCase {
    /// A new empty directory, removed when the test ends.
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "q3d-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}
