// swift-tools-version: 6.1
// SPDX-License-Identifier: Apache-2.0
//
// libFuzzer targets for ParleyRTC's parsers. Kept in their own package so the main build and
// test run never compile them (they only link with -sanitize=fuzzer). See README.md:
//
//   Tests/Fuzz/run.sh          # build, then every target for 1M inputs each
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "ParleyFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Parley", path: "../.."),
    ],
    targets: [
        // Declares LLVMFuzzerRunDriver (the symbol comes from -sanitize=fuzzer's runtime).
        .systemLibrary(name: "CLibFuzzer", path: "CLibFuzzer"),
        .executableTarget(
            name: "FuzzSTUN", dependencies: ["CLibFuzzer", .product(name: "ParleyRTC", package: "Parley")], path: "FuzzSTUN",
            swiftSettings: strict),
        .executableTarget(
            name: "FuzzRTP", dependencies: ["CLibFuzzer", .product(name: "ParleyRTC", package: "Parley")], path: "FuzzRTP",
            swiftSettings: strict),
        .executableTarget(
            name: "FuzzRTCP", dependencies: ["CLibFuzzer", .product(name: "ParleyRTC", package: "Parley")], path: "FuzzRTCP",
            swiftSettings: strict),
        .executableTarget(
            name: "FuzzSDP", dependencies: ["CLibFuzzer", .product(name: "ParleyRTC", package: "Parley")], path: "FuzzSDP",
            swiftSettings: strict),
        // Arbitrary datagrams to a server-role DTLSTransport mid-handshake (DTLSFuzzChecks).
        .executableTarget(
            name: "FuzzDTLS", dependencies: ["CLibFuzzer", .product(name: "ParleyRTC", package: "Parley")], path: "FuzzDTLS",
            swiftSettings: strict),
        // Inbound SCTP packets to a real usrsctp association (ESTABLISHED, or after INIT) over an
        // in-memory lower transport; the checks are in FuzzSCTP/SCTPFuzz.swift.
        .executableTarget(
            name: "FuzzSCTP", dependencies: ["CLibFuzzer", .product(name: "ParleyRTC", package: "Parley")], path: "FuzzSCTP",
            swiftSettings: strict),
        // DCEP (RFC 8832) DATA_CHANNEL_OPEN/ACK: decode anything, encode → decode round trip.
        .executableTarget(
            name: "FuzzDCEP", dependencies: ["CLibFuzzer", .product(name: "ParleyRTC", package: "Parley")], path: "FuzzDCEP",
            swiftSettings: strict),
    ]
)
