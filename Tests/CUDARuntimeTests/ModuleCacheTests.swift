@testable import CUDARuntime
import Foundation
import XCTest

final class ModuleCacheTests: XCTestCase {
    private let kernel = CompiledKernel(
        name: "conv", arch: "sm_90a", cubin: [0x7F, 0x45, 0x4C, 0x46, 1, 2, 3, 0, 255],
        log: "ptxas info    : Compiling entry function 'conv' for 'sm_90a'\n"
            + "ptxas info    : Used 40 registers, 4096 bytes smem, 380 bytes cmem[0]\n",
        nvrtcVersion: "13.5")

    func testKeyChangesWithEachInput() {
        let base = (source: "s", name: "k", arch: "sm_80", options: ["-lineinfo"], version: "12.9")
        func key(source: String = base.source, name: String = base.name, arch: String = base.arch,
                 options: [String] = base.options, version: String = base.version) -> String {
            ModuleCache.key(source: source, name: name, arch: arch, options: options, nvrtcVersion: version)
        }
        let keys = [
            key(), key(source: "s "), key(name: "k2"), key(arch: "sm_90"), key(options: []),
            key(options: ["-lineinfo", "--std=c++17"]), key(version: "13.5"),
            // Inputs that would run together if they were simply concatenated.
            key(source: "sk", name: ""), key(options: ["-line", "info"]),
        ]
        XCTAssertEqual(Set(keys).count, keys.count, "\(keys)")
        XCTAssertEqual(key(), key(), "the key is deterministic")
        XCTAssertEqual(key().count, 64)
        XCTAssertTrue(key().allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    func testDefaultDirectory() {
        func directory(_ environment: [String: String]) -> String? {
            ModuleCache.defaultDirectory(environment: { environment[$0] })
        }
        XCTAssertEqual(directory(["Q3D_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"]), "/c")
        XCTAssertEqual(directory(["XDG_CACHE_HOME": "/x", "HOME": "/h"]), "/x/q3d/kernels")
        XCTAssertEqual(directory(["HOME": "/h"]), "/h/.cache/q3d/kernels")
    }

    func testDiskRoundTrip() throws {
        let directory = try temporaryDirectory() + "/nested/kernels"
        let key = ModuleCache.key(source: "s", name: "conv", arch: "sm_90a", options: [], nvrtcVersion: "13.5")
        ModuleCache(directory: directory).store(kernel, forKey: key)

        let path = try XCTUnwrap(ModuleCache(directory: directory).path(forKey: key))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [], "the temporary file was renamed into place")

        let reloaded = try XCTUnwrap(ModuleCache(directory: directory).cachedKernel(forKey: key))
        XCTAssertEqual(reloaded, kernel)
        XCTAssertEqual(reloaded.registers, 40)
        XCTAssertEqual(reloaded.sharedBytes, 4096)
        XCTAssertNil(ModuleCache(directory: directory).cachedKernel(forKey: String(repeating: "0", count: 64)))
    }

    func testCorruptFilesAreIgnoredAndRewritten() throws {
        let directory = try temporaryDirectory()
        let key = ModuleCache.key(source: "s", name: "conv", arch: "sm_90a", options: [], nvrtcVersion: "13.5")
        let path = try XCTUnwrap(ModuleCache(directory: directory).path(forKey: key))
        ModuleCache(directory: directory).store(kernel, forKey: key)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))

        var flipped = good
        flipped[good.count / 2] ^= 0x01
        let otherKey = ModuleCache.key(source: "t", name: "conv", arch: "sm_90a", options: [], nvrtcVersion: "13.5")
        let corruptions: [(String, Data)] = [
            ("empty", Data()), ("truncated", good.prefix(good.count - 1)), ("one bit flipped", flipped),
            ("not a cache file", Data("hello".utf8)), ("another key's file", try encoded(forKey: otherKey)),
        ]
        for (label, bytes) in corruptions {
            try bytes.write(to: URL(fileURLWithPath: path))
            let cache = ModuleCache(directory: directory)
            XCTAssertNil(cache.cachedKernel(forKey: key), label)
            cache.store(kernel, forKey: key)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), good, "\(label): rewritten")
            XCTAssertEqual(ModuleCache(directory: directory).cachedKernel(forKey: key), kernel, label)
        }
    }

    func testMemoryOnlyCache() {
        let cache = ModuleCache(directory: nil)
        XCTAssertNil(cache.path(forKey: "k"))
        cache.store(kernel, forKey: "k")
        XCTAssertEqual(cache.cachedKernel(forKey: "k"), kernel)
        cache.removeAllFromMemory()
        XCTAssertNil(cache.cachedKernel(forKey: "k"))
    }

    func testCompilesOnceThenServesFromDisk() throws {
        _ = try requireNVRTC(for: "sm_80")
        let directory = try temporaryDirectory()
        let first = try ModuleCache(directory: directory).kernel(
            source: dotProductSource, name: "dot4", arch: "sm_80", options: verboseOptions)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).count, 1)
        let second = try ModuleCache(directory: directory).kernel(
            source: dotProductSource, name: "dot4", arch: "sm_80", options: verboseOptions)
        XCTAssertEqual(second, first)
        XCTAssertNotNil(second.registers)
        let other = try ModuleCache(directory: directory).kernel(
            source: dotProductSource, name: "dot4", arch: "sm_61", options: verboseOptions)
        XCTAssertNotEqual(other.cubin, first.cubin)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).count, 2)
    }

    private func encoded(forKey key: String) throws -> Data {
        let directory = try temporaryDirectory()
        let cache = ModuleCache(directory: directory)
        cache.store(kernel, forKey: key)
        return try Data(contentsOf: URL(fileURLWithPath: try XCTUnwrap(cache.path(forKey: key))))
    }
}
