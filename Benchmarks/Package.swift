// swift-tools-version: 6.1
// SPDX-License-Identifier: Apache-2.0
//
// Micro-benchmarks (ordo-one/benchmark). Kept in their own package so the main build and
// test run never compile the benchmark harness.
//
//   cd Benchmarks && swift package --disable-sandbox benchmark
//   cd Benchmarks && swift package --disable-sandbox benchmark --target EngineBenchmarks --filter "6-stage.*"
//
// Thresholds live in Thresholds/: `scripts/bench-micro` checks a run against them and
// `scripts/bench-micro update` re-records them (README.md: which benchmarks, tolerances, figures).
import PackageDescription

let package = Package(
    name: "ParleyBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Parley", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ParleyCore", package: "Parley"),
                .product(name: "ParleyBuiltinPlugins", package: "Parley"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "MediaBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ParleyCore", package: "Parley"),
                .product(name: "ParleyAudio", package: "Parley"),
                .product(name: "ParleyRTC", package: "Parley"),
                .product(name: "ParleyWebRTC", package: "Parley"),
            ],
            path: "Benchmarks/MediaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "AudioStageBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ParleyCore", package: "Parley"),
                .product(name: "ParleyWebRTCPlugins", package: "Parley"),
                .product(name: "ParleySpeexPlugins", package: "Parley"),
            ],
            path: "Benchmarks/AudioStageBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
