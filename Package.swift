// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
  name: "ordp",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "ORDPWire", targets: ["ORDPWire"]),
    .library(name: "ORDPRPC", targets: ["ORDPRPC"]),
    .library(name: "ORDPPKI", targets: ["ORDPPKI"]),
    .library(name: "CORDPClient", targets: ["CORDPClient"]),
    .library(name: "ORDPIdentityAPI", targets: ["ORDPIdentityAPI"]),
    .library(name: "ORDPAuth", targets: ["ORDPAuth"]),
    .library(name: "ORDPIdentity", targets: ["ORDPIdentity"]),
    .library(name: "ORDPPartitionAPI", targets: ["ORDPPartitionAPI"]),
    .library(name: "ORDPCatalogueAPI", targets: ["ORDPCatalogueAPI"]),
    .library(name: "ORDPCatalogue", targets: ["ORDPCatalogue"]),
    .library(name: "ORDPAnalyticsAPI", targets: ["ORDPAnalyticsAPI"]),
    .library(name: "ORDPPlatformAPI", targets: ["ORDPPlatformAPI"]),
    .library(name: "ORDPAnalytics", targets: ["ORDPAnalytics"]),
    .executable(name: "ordp-catalogue", targets: ["ordp-catalogue"]),
    .executable(name: "ordp-analytics", targets: ["ordp-analytics"]),
    .executable(name: "ordp-identity", targets: ["ordp-identity"]),
    .executable(name: "ordp-gateway", targets: ["ordp-gateway"]),
    .executable(name: "ordp-bench-identity", targets: ["ordp-bench-identity"]),
    .executable(name: "ordp-bench-catalogue", targets: ["ordp-bench-catalogue"]),
    .executable(name: "ordp-bench-analytics", targets: ["ordp-bench-analytics"]),
    .executable(name: "ordp", targets: ["ordp"]),
    .executable(name: "ordp-example-integrator", targets: ["ordp-example-integrator"]),
    .executable(name: "protoc-gen-ordp", targets: ["protoc-gen-ordp"]),
    .executable(name: "ordp-health-check", targets: ["ordp-health-check"]),
    .executable(name: "ordp-push-observations", targets: ["ordp-push-observations"]),
    .executable(name: "ordp-bench-rpc", targets: ["ordp-bench-rpc"]),
    .executable(name: "ordp-fuzz-frames", targets: ["ordp-fuzz-frames"]),
    .executable(name: "ordp-fuzz-api", targets: ["ordp-fuzz-api"]),
    .executable(name: "ordp-bench-hostile", targets: ["ordp-bench-hostile"]),
    .executable(name: "ordp-bench-gateway", targets: ["ordp-bench-gateway"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
    .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
  ],
  targets: [
    // I/O-free protocol core: frames, codec, connection and stream state machines.
    .target(
      name: "ORDPWire",
      dependencies: [
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: strict
    ),
    // The RPC runtime on SwiftNIO: server, client channel, interceptors, health.
    .target(
      name: "ORDPRPC",
      dependencies: [
        "ORDPWire",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOTLS", package: "swift-nio"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      swiftSettings: strict
    ),
    // Throw-away development PKI (CA, server and client certificates).
    .target(
      name: "ORDPPKI",
      dependencies: [
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
      ],
      swiftSettings: strict
    ),
    // The echo service: a test and benchmark service with all four call kinds.
    .target(
      name: "ORDPEcho",
      dependencies: [
        "ORDPRPC",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: strict
    ),
    // Messages, server protocol and client of ordp.identity.v1 (generated).
    .target(
      name: "ORDPIdentityAPI",
      dependencies: ["ORDPRPC", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
      swiftSettings: strict
    ),
    // Observations from CSV and JSON-lines files (`ordp ingest`).
    .target(name: "ORDPObservationFiles", swiftSettings: strict),
    // The region's towns and their districts, for demo data.
    .target(name: "ORDPRegion", swiftSettings: strict),
    // Messages the catalogue's and analytics' APIs share (generated): a partition's status.
    .target(
      name: "ORDPPartitionAPI",
      dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
      swiftSettings: strict
    ),
    // Messages, server protocol and client of ordp.catalogue.v1 (generated).
    .target(
      name: "ORDPCatalogueAPI",
      dependencies: [
        "ORDPRPC", "ORDPPartitionAPI", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: strict
    ),
    // The catalogue service: DCAT-AP.de datasets, revisions, search, change feed; SQLite.
    .target(
      name: "ORDPCatalogue",
      dependencies: [
        "ORDPRPC", "ORDPCatalogueAPI", "ORDPAuth", "ORDPRegion",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Services/Catalogue/Sources",
      swiftSettings: strict
    ),
    .executableTarget(
      name: "ordp-catalogue",
      dependencies: [
        "ORDPServiceKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Services/Catalogue/Main",
      swiftSettings: strict
    ),
    // What the service benchmarks share: identity and the service under test over TLS.
    .target(
      name: "ORDPBenchSupport",
      dependencies: [
        "ORDPIdentity", "ORDPIdentityAPI", "ORDPAuth", "ORDPRPC", "ORDPPKI", "ORDPServiceKit",
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
      ],
      swiftSettings: strict
    ),
    // How every service is put together (its one assembly function, used by its executable,
    // `ordp dev up`, the benchmarks and the fuzzer) and served; the options of the executables.
    .target(
      name: "ORDPServiceKit",
      dependencies: [
        "ORDPRPC", "ORDPAuth", "ORDPIdentity", "ORDPIdentityAPI", "ORDPCatalogue",
        "ORDPCatalogueAPI", "ORDPAnalytics", "ORDPAnalyticsAPI", "ORDPGateway",
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: strict
    ),
    // Offline verification of access tokens, principals and scopes: used by every service.
    .target(
      name: "ORDPAuth",
      dependencies: [
        "ORDPRPC", "ORDPIdentityAPI",
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict
    ),
    // The identity service: organisations, users, tokens, API keys, audit; SQLite storage.
    .target(
      name: "ORDPIdentity",
      dependencies: [
        "ORDPRPC", "ORDPIdentityAPI", "ORDPAuth",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "CryptoExtras", package: "swift-crypto"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      path: "Services/Identity/Sources",
      resources: [.copy("Resources/organisations.json"), .copy("Resources/common-passwords.txt")],
      swiftSettings: strict
    ),
    .executableTarget(
      name: "ordp-identity",
      dependencies: [
        "ORDPServiceKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Services/Identity/Main",
      swiftSettings: strict
    ),
    .executableTarget(
      name: "ordp-bench-catalogue",
      dependencies: [
        "ORDPCatalogue", "ORDPCatalogueAPI", "ORDPBenchSupport", "ORDPRPC", "ORDPServiceKit",
        .product(name: "Histogram", package: "hdrhistogram-swift"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict
    ),
    .executableTarget(
      name: "ordp-bench-analytics",
      dependencies: [
        "ORDPAnalytics", "ORDPAnalyticsAPI", "ORDPBenchSupport", "ORDPRPC", "ORDPServiceKit",
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict
    ),
    .executableTarget(
      name: "ordp-bench-identity",
      dependencies: [
        "ORDPIdentity", "ORDPAuth", "ORDPIdentityAPI", "ORDPRPC", "ORDPBenchSupport",
        .product(name: "Histogram", package: "hdrhistogram-swift"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict
    ),
    .executableTarget(
      name: "protoc-gen-ordp",
      dependencies: [
        .product(name: "SwiftProtobufPluginLibrary", package: "swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: strict
    ),
    // C client library for integrators: OpenSSL + protobuf-c.
    .target(
      name: "CORDPClient",
      linkerSettings: [
        .linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("protobuf-c"),
      ]
    ),
    .executableTarget(name: "ordp-health-check", dependencies: ["CORDPClient"]),
    // A sensor gateway in C: an API key, then observations (README, run in the tests).
    .executableTarget(name: "ordp-push-observations", dependencies: ["CORDPClient"]),
    .target(name: "CFuzzerSupport"),
    .executableTarget(
      name: "ordp",
      dependencies: [
        "ORDPRPC", "ORDPEcho", "ORDPPKI", "ORDPIdentity", "ORDPIdentityAPI", "ORDPAuth",
        "ORDPCatalogue", "ORDPCatalogueAPI", "ORDPAnalytics", "ORDPAnalyticsAPI", "ORDPServiceKit",
        "ORDPRegion", "ORDPPlatformAPI", "ORDPObservationFiles", "ORDPBenchSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: strict
    ),
    // An integrator's program on the generated stubs (README, run in the tests).
    .executableTarget(
      name: "ordp-example-integrator",
      dependencies: [
        "ORDPRPC", "ORDPIdentityAPI", "ORDPAnalyticsAPI",
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: strict
    ),
    .executableTarget(
      name: "ordp-bench-rpc",
      dependencies: [
        "ORDPRPC", "ORDPEcho", "ORDPPKI", "ORDPWire", "ORDPBenchSupport",
        .product(name: "Histogram", package: "hdrhistogram-swift"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict
    ),
    // Honest clients beside hostile ones, against the services as their own processes.
    .executableTarget(
      name: "ordp-bench-hostile",
      dependencies: [
        "ORDPIdentityAPI", "ORDPCatalogue", "ORDPCatalogueAPI", "ORDPAnalyticsAPI", "ORDPRPC",
        "ORDPWire", "ORDPBenchSupport", "ORDPTestSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: strict
    ),
    // The gateway's benchmark: direct vs gateway vs HAProxy, and the composite overview.
    .executableTarget(
      name: "ordp-bench-gateway",
      dependencies: [
        "ORDPRPC", "ORDPBenchSupport", "ORDPTestSupport", "ORDPCatalogueAPI", "ORDPIdentityAPI",
        "ORDPAnalyticsAPI", "ORDPPlatformAPI",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: strict
    ),
    // The API fuzzer: every method of identity, catalogue and analytics, in one process.
    .executableTarget(
      name: "ordp-fuzz-api",
      dependencies: [
        "ORDPIdentity", "ORDPIdentityAPI", "ORDPCatalogue", "ORDPCatalogueAPI", "ORDPAnalytics",
        "ORDPAnalyticsAPI", "ORDPAuth", "ORDPRPC", "ORDPWire", "ORDPBenchSupport",
        "ORDPServiceKit", "ORDPTestSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      swiftSettings: strict
    ),
    .executableTarget(
      name: "ordp-fuzz-frames",
      dependencies: [
        "ORDPWire", "CFuzzerSupport", .product(name: "NIOCore", package: "swift-nio"),
      ],
      swiftSettings: strict
    ),
    .testTarget(
      name: "ORDPWireTests",
      dependencies: ["ORDPWire", .product(name: "NIOCore", package: "swift-nio")],
      swiftSettings: strict
    ),
    .testTarget(
      name: "ORDPRPCTests",
      dependencies: [
        "ORDPRPC", "ORDPEcho", "ORDPPKI", "CORDPClient", "ORDPTestSupport",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: strict
    ),
    // The gateway: the method-to-scope table, edge interceptors, the relaying service.
    .target(
      name: "ORDPGateway",
      dependencies: [
        "ORDPRPC", "ORDPAuth", "ORDPIdentityAPI", "ORDPCatalogueAPI", "ORDPAnalyticsAPI",
        "ORDPAnalytics", "ORDPCatalogue", "ORDPPartitionAPI", "ORDPPlatformAPI",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Services/Gateway/Sources",
      swiftSettings: strict
    ),
    .executableTarget(
      name: "ordp-gateway",
      dependencies: [
        "ORDPServiceKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Services/Gateway/Main",
      swiftSettings: strict
    ),
    .testTarget(
      name: "ORDPGatewayTests",
      dependencies: [
        "ORDPGateway", "ORDPRPC", "ORDPTestSupport", "ORDPCatalogueAPI", "ORDPIdentityAPI",
        "ORDPAnalyticsAPI", "ORDPPlatformAPI",
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "NIOCore", package: "swift-nio"),
      ],
      swiftSettings: strict
    ),
    .testTarget(
      name: "ORDPServiceKitTests",
      dependencies: [
        "ORDPServiceKit", "ORDPGateway", "ORDPEcho", "ORDPRPC", "ORDPTestSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "NIOCore", package: "swift-nio"),
      ],
      swiftSettings: strict
    ),
    // Helpers shared by the test targets, the hostile-load benchmark and the API fuzzer: real
    // service processes on loopback, raw request messages.
    .target(
      name: "ORDPTestSupport",
      dependencies: [
        "ORDPIdentityAPI", "ORDPRPC", "ORDPPKI", "ORDPEcho",
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Tests/ORDPTestSupport",
      swiftSettings: strict
    ),
    // Analytics' API: generated messages, server protocol and client.
    .target(
      name: "ORDPAnalyticsAPI",
      dependencies: [
        "ORDPRPC", "ORDPPartitionAPI", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: strict
    ),
    // The Platform API: composite calls the gateway answers from the services at once.
    .target(
      name: "ORDPPlatformAPI",
      dependencies: [
        "ORDPRPC", "ORDPIdentityAPI", "ORDPCatalogueAPI", "ORDPAnalyticsAPI",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: strict
    ),
    // The analytics service: datastreams, block storage with rollups on SQLite, ingest, queries.
    .target(
      name: "ORDPAnalytics",
      dependencies: [
        "ORDPAnalyticsAPI", "ORDPRPC", "ORDPAuth", "ORDPRegion",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Services/Analytics/Sources",
      swiftSettings: strict
    ),
    .executableTarget(
      name: "ordp-analytics",
      dependencies: [
        "ORDPServiceKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Services/Analytics/Main",
      swiftSettings: strict
    ),
    .testTarget(
      name: "ORDPAnalyticsTests",
      dependencies: [
        "ORDPAnalytics", "ORDPAnalyticsAPI", "ORDPAuth", "ORDPRPC", "ORDPTestSupport",
        "ORDPIdentityAPI", "ORDPRegion", "ORDPObservationFiles",
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict
    ),
    .testTarget(
      name: "ORDPCatalogueTests",
      dependencies: [
        "ORDPCatalogue", "ORDPCatalogueAPI", "ORDPAuth", "ORDPRPC", "ORDPTestSupport",
        "ORDPIdentityAPI", "ORDPRegion", .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "GRDB", package: "GRDB.swift"),
      ],
      swiftSettings: strict
    ),
    .testTarget(
      name: "ORDPIdentityTests",
      dependencies: [
        "ORDPIdentity", "ORDPAuth", "ORDPIdentityAPI", "ORDPRPC", "ORDPPKI", "ORDPTestSupport",
        "ORDPCatalogueAPI", "ORDPAnalyticsAPI", "ORDPPlatformAPI",
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
      ],
      swiftSettings: strict
    ),
  ]
)
