/// Finds and loads every NVRTC library on the machine.
///
/// The search, in order:
/// 1. `$Q3D_NVRTC`, a path. When set it is the only library considered, so that a run can pin the
///    NVRTC that matches an older driver.
/// 2. The NVRTC wheels pip installs — `nvidia/cu13/lib/libnvrtc.so.13` (nvidia-cuda-nvrtc, CUDA 13) and
///    `nvidia/cuda_nvrtc/lib/libnvrtc.so.12` (nvidia-cuda-nvrtc-cu12) — in the site-packages of
///    `$VIRTUAL_ENV`, each `$PYTHONPATH` entry, `~/.local`, pyenv's versions, `/usr/local`, `/usr/lib/python3`
///    and `/opt/*/.venv`.
/// 3. The system's `libnvrtc.so`, `libnvrtc.so.13` and `libnvrtc.so.12` (through the dynamic loader's
///    search path), and `/usr/local/cuda/lib64/libnvrtc.so`.
///
/// Every library that loads is kept, one per version (the first found wins), newest first.
struct NVRTCDiscovery: Sendable {
    /// The libraries that loaded, newest version first.
    let libraries: [NVRTCLibrary]
    /// Each place looked at, with what was found there or why it was not used.
    let searched: [String]

    /// The libraries of this process, found on first use. A `static let` is initialized once, safely
    /// from any thread.
    static let shared = NVRTCDiscovery(environment: FileSystem.environment)

    /// The wheels' libraries, relative to a site-packages directory.
    static let wheelLibraries = ["nvidia/cu13/lib/libnvrtc.so.13", "nvidia/cuda_nvrtc/lib/libnvrtc.so.12"]

    /// Names resolved by the dynamic loader, and the toolkit's usual place.
    static let systemLibraries = ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "/usr/local/cuda/lib64/libnvrtc.so"]

    /// Searches with `environment` standing for the process environment (tests pass their own).
    init(environment: (String) -> String?) {
        var searched: [String] = []
        let candidates: [String]
        if let pinned = environment("Q3D_NVRTC") {
            candidates = [pinned]
            searched.append("$Q3D_NVRTC=\(pinned) (the only library considered while it is set)")
        } else {
            candidates = Self.wheelCandidates(environment: environment, searched: &searched) + Self.systemLibraries
        }
        var loaded: [NVRTCLibrary] = []
        for path in candidates {
            switch NVRTCLibrary.load(path: path) {
            case let .success(library):
                if let twin = loaded.first(where: { $0.version == library.version }) {
                    searched.append("\(path): NVRTC \(library.version), already found at \(twin.path)")
                } else {
                    searched.append("\(path): NVRTC \(library.version)")
                    loaded.append(library)
                }
            case let .failure(failure):
                searched.append("\(path): \(failure.reason)")
            }
        }
        libraries = loaded.sorted { $0.version > $1.version }
        self.searched = searched
    }

    /// The wheel libraries that exist under any site-packages directory, in search order, each file once.
    private static func wheelCandidates(
        environment: (String) -> String?, searched: inout [String]
    ) -> [String] {
        var patterns: [String] = []
        if let virtualEnvironment = environment("VIRTUAL_ENV") {
            patterns.append("\(virtualEnvironment)/lib/python3.*/site-packages")
        }
        if let pythonPath = environment("PYTHONPATH") {
            patterns += pythonPath.split(separator: ":").map(String.init)
        }
        let home = environment("HOME")
        if let home { patterns.append("\(home)/.local/lib/python3.*/site-packages") }
        var pyenvRoots = ["/root/.pyenv"]
        if let root = environment("PYENV_ROOT") ?? home.map({ "\($0)/.pyenv" }), root != "/root/.pyenv" {
            pyenvRoots.insert(root, at: 0)
        }
        patterns += pyenvRoots.map { "\($0)/versions/*/lib/python3.*/site-packages" }
        patterns += [
            "/usr/local/lib/python3.*/site-packages", "/usr/local/lib/python3.*/dist-packages",
            "/usr/lib/python3/dist-packages", "/opt/*/.venv/lib/python3.*/site-packages",
        ]

        var candidates: [String] = []
        var seenFiles: Set<String> = []
        for pattern in patterns {
            let directories = FileSystem.expand(pattern)
            if directories.isEmpty { searched.append("\(pattern): no such directory") }
            for directory in directories {
                let found = wheelLibraries.map { "\(directory)/\($0)" }.filter(FileSystem.exists)
                if found.isEmpty { searched.append("\(directory): no NVRTC wheel") }
                for path in found where seenFiles.insert(FileSystem.realPath(path) ?? path).inserted {
                    candidates.append(path)
                }
            }
        }
        return candidates
    }
}
