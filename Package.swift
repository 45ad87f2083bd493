// swift-tools-version:6.1
import PackageDescription

// The pipeline, one module per stage:
//   RescindYAML (source + spans) → CELParser → CELChecker → CELRuntime (plan + evaluate)
// RescindDiagnostics is shared by every stage; CELCommon holds the AST and types that
// the parser, checker and runtime exchange. The runtime never imports the parser or checker.
let package = Package(
    name: "Rescind",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Rescind", targets: ["Rescind"]),
        .executable(name: "rescind", targets: ["rescind"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        // Already in the graph through Hummingbird: named here because the connection
        // layer (timeouts, accept back-off, HTTP/1.0 close) sits in NIO's pipeline.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(name: "RescindDiagnostics"),
        .target(name: "RescindYAML", dependencies: ["CYAML", "RescindDiagnostics"]),
        .target(name: "CELCommon", dependencies: ["RescindDiagnostics"]),
        .target(name: "CELParser", dependencies: ["CELCommon", "RescindDiagnostics"]),
        .target(name: "CELChecker", dependencies: ["CELCommon", "RescindDiagnostics"]),
        .target(name: "CELRuntime", dependencies: ["CELCommon"]),
        .target(name: "CEL", dependencies: ["CELCommon", "CELParser", "CELChecker", "CELRuntime", "RescindDiagnostics"]),
        // Rescind's CEL library (`decimal` functions, business calendars): a `CELLibrary`
        // hosts add when building an environment; standard CEL runs without it.
        .target(name: "RescindCELLibrary", dependencies: ["CELCommon", "CELRuntime"]),
        // The policy layer: RescindPolicy loads, checks and compiles YAML policies into a
        // RescindEngine.PolicySet; RescindEngine decides and explains at runtime and, like
        // CELRuntime, never imports a parser or checker.
        .target(name: "RescindEngine", dependencies: ["CELRuntime", "CELCommon", "RescindCELLibrary", "RescindDiagnostics"]),
        .target(name: "RescindPolicy", dependencies: ["RescindEngine", "CEL", "RescindCELLibrary", "RescindYAML", "RescindDiagnostics"]),
        .target(name: "Rescind", dependencies: ["CEL", "RescindCELLibrary", "RescindYAML", "RescindDiagnostics", "RescindEngine", "RescindPolicy"]),
        // The HTTP service (`rescind serve`): the application is built by a library
        // function so tests drive it through Hummingbird's test client without a socket.
        .target(name: "RescindServer", dependencies: [
            "Rescind",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [.copy("openapi.json")]),  // served at /openapi.json; docs/openapi.json links to it
        .executableTarget(name: "rescind", dependencies: [
            "Rescind",
            "RescindServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "RescindFuzz", dependencies: ["Rescind"]),
        .executableTarget(name: "RescindBench", dependencies: ["Rescind"]),
        // The load generator for `rescind serve` (Scripts/serve-bench.sh): plain sockets
        // and poll on threads of its own; the kit is shared with the reload-under-load test.
        .target(name: "RescindLoadKit"),
        .executableTarget(name: "RescindLoad", dependencies: [
            "RescindLoadKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "RescindDiagnosticsTests", dependencies: ["RescindDiagnostics"]),
        .testTarget(name: "RescindYAMLTests", dependencies: ["RescindYAML"]),
        .testTarget(name: "CELParserTests", dependencies: ["CELParser"]),
        .testTarget(name: "CELCheckerTests", dependencies: ["CELChecker", "CELParser"]),
        .testTarget(name: "CELRuntimeTests", dependencies: ["CEL"]),
        .testTarget(name: "CELConformanceTests", dependencies: ["CEL"], exclude: ["Skipped.json"]),
        .testTarget(name: "CELExtensionsTests", dependencies: ["CEL", "RescindCELLibrary"]),
        .testTarget(name: "RescindEngineTests", dependencies: ["RescindEngine"]),
        .testTarget(name: "RescindPolicyTests", dependencies: ["Rescind"]),
        .testTarget(name: "RescindCLITests", dependencies: ["rescind"]),
        .testTarget(name: "RescindServerTests", dependencies: [
            "RescindServer",
            "RescindLoadKit",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
    ]
)
