// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "campaign",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "campaign", targets: ["campaign"]),
        .library(name: "CampaignKit", targets: ["CampaignKit"]),
        .library(name: "PokuSimulator", targets: ["PokuSimulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        /// libphonenumber (Debian's libphonenumber-dev) behind a small C interface.
        .target(
            name: "PhoneNumbers",
            linkerSettings: [
                .linkedLibrary("phonenumber"), .linkedLibrary("protobuf"), .linkedLibrary("icui18n"),
                .linkedLibrary("icuuc"), .linkedLibrary("stdc++"),
            ]
        ),
        /// schema.sql, embedded into the binary at build time with C23 #embed.
        .target(name: "SchemaSQL"),
        /// examples/dinner, embedded the same way, for `campaign demo`.
        .target(name: "ExampleFiles"),
        .target(
            name: "CampaignKit",
            dependencies: [
                "PhoneNumbers",
                "SchemaSQL",
                "ExampleFiles",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "PokuSimulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird")
            ]
        ),
        .executableTarget(
            name: "campaign",
            dependencies: [
                "CampaignKit",
                "PokuSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        /// Helpers the test targets share: temporary folders, running the built binary, the test PostgreSQL
        /// cluster's databases.
        .target(
            name: "TestSupport",
            dependencies: ["CampaignKit", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "CampaignKitTests",
            dependencies: [
                "CampaignKit", "PokuSimulator", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["CampaignKit", "PokuSimulator", "TestSupport", "campaign"]
        ),
    ]
)
