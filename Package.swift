// swift-tools-version:6.1
import PackageDescription

// One target per concept; data flows ONNX -> Graph -> Quantization -> Engine -> (Kernels + Tuning)
// -> CUDARuntime / CPUKernels. Everything but running kernels on a GPU builds and tests without one.
let package = Package(
    name: "Q3D",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "q3d", targets: ["q3d"]),
        .library(
            name: "Q3D",
            targets: [
                "Tensors", "ConvGeometry", "CPUKernels", "CUDARuntime", "Kernels", "Graph", "ONNX", "Quantization",
                "Demo", "Engine", "Tuning",
            ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // No default traits: BinaryDelimitedStreams imports all of Foundation (ICU), 30 MB more binary.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
    ],
    targets: [
        .target(name: "Tensors"),
        .target(name: "ConvGeometry"),
        .target(name: "CCPUKernels"),
        .target(name: "CPUKernels", dependencies: ["Tensors", "ConvGeometry", "CCPUKernels"]),
        .target(name: "CCUDA", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "CUDARuntime", dependencies: ["CCUDA"]),
        .target(name: "Kernels", dependencies: ["ConvGeometry", "Tensors"]),
        .target(name: "Graph", dependencies: ["Tensors", "ConvGeometry"]),
        .target(
            name: "ONNX",
            dependencies: [
                "Graph", "Tensors", "ConvGeometry", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["README.md"]),
        .target(name: "Quantization", dependencies: ["Graph", "Tensors", "ConvGeometry", "CPUKernels"]),
        .target(name: "Demo", dependencies: ["ONNX", "Quantization", "Graph", "Tensors"]),
        .target(name: "Engine", dependencies: ["Tensors", "ConvGeometry", "CPUKernels", "CUDARuntime", "Kernels"]),
        .target(name: "Tuning", dependencies: ["Kernels", "Tensors"]),
        .executableTarget(
            name: "q3d",
            dependencies: [
                "Tensors", "ConvGeometry", "CPUKernels", "CUDARuntime", "Kernels", "Graph", "ONNX", "Quantization",
                "Demo", "Engine", "Tuning", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Release binaries without symbol tables: the static q3d carried to the GPU machine stays near
            // 21 MB instead of 47 (the carry limit is 64 MiB); debug builds keep their symbols.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--strip-all"], .when(configuration: .release))]
        ),
        // Offline judge of the search strategies on logged trials (see its header).
        .executableTarget(name: "tuning-replay", dependencies: ["Tuning", "Kernels", "ConvGeometry", "Tensors"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "ConvGeometryTests", dependencies: ["ConvGeometry"]),
        .testTarget(name: "CPUKernelsTests", dependencies: ["CPUKernels", "Tensors", "ConvGeometry"]),
        .testTarget(name: "CUDARuntimeTests", dependencies: ["CUDARuntime"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Tensors", "ConvGeometry", "CPUKernels", "Kernels", "CUDARuntime"]),
        .testTarget(name: "TuningTests", dependencies: ["Tuning", "Kernels", "ConvGeometry", "Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "GraphTests", dependencies: ["Graph", "Tensors", "ConvGeometry"]),
        .testTarget(
            name: "ONNXTests",
            dependencies: [
                "ONNX", "Graph", "Tensors", "Quantization", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
        .testTarget(name: "QuantizationTests", dependencies: ["Quantization", "ONNX", "Graph", "Tensors", "ConvGeometry", "Demo"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "CUDARuntime", "CPUKernels", "ConvGeometry", "Tensors"]),
    ]
)
