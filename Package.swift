// swift-tools-version: 6.1
// SPDX-License-Identifier: Apache-2.0
import PackageDescription
import Foundation

/// The embedded local speech engines (sherpa-onnx with Silero VAD, Moonshine STT, Piper TTS)
/// come from pinned PyPI wheels that `scripts/install-local-engines` puts in .local-engines/.
/// Their targets exist only once that is done (scripts/test and scripts/demo always do it), so
/// a plain `swift build` on a fresh checkout still builds everything else.
let localEnginesInstalled = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/.local-engines/pkgconfig/sherpa-onnx-c-api.pc")
/// llama.cpp (the local LLM) comes from the same script (built from source, ~6 min once); an
/// install made before it existed has the sherpa engines only, so it is checked on its own.
let llamaInstalled = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/.local-engines/pkgconfig/llama.pc")

// Swift 6 language mode (the tools-version default) gives strict concurrency checking.
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "Parley",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ParleyCore", targets: ["ParleyCore"]),
        .library(name: "ParleyAudio", targets: ["ParleyAudio"]),
        .library(name: "ParleyAgent", targets: ["ParleyAgent"]),
        .library(name: "ParleyBuiltinPlugins", targets: ["ParleyBuiltinPlugins"]),
        .library(name: "ParleyWebRTCPlugins", targets: ["ParleyWebRTCPlugins"]),
        .library(name: "ParleySpeexPlugins", targets: ["ParleySpeexPlugins"]),
        .library(name: "ParleyEspeakEngine", targets: ["ParleyEspeakEngine"]),
        .library(name: "ParleyRTC", targets: ["ParleyRTC"]),
        .library(name: "ParleyWebRTC", targets: ["ParleyWebRTC"]),
        .library(name: "ParleyLiveKit", targets: ["ParleyLiveKit"]),
        .library(name: "ParleyWebSocket", targets: ["ParleyWebSocket"]),
        .library(name: "ParleyOpenAIPlugins", targets: ["ParleyOpenAIPlugins"]),
        .library(name: "ParleyStreamingSTT", targets: ["ParleyStreamingSTT"]),
        .library(name: "ParleyProviderSupport", targets: ["ParleyProviderSupport"]),
        .library(name: "ParleyCartesiaPlugins", targets: ["ParleyCartesiaPlugins"]),
        .library(name: "ParleyElevenLabsPlugins", targets: ["ParleyElevenLabsPlugins"]),
        .library(name: "ParleyDeepgramPlugins", targets: ["ParleyDeepgramPlugins"]),
        .library(name: "ParleyAssemblyAIPlugins", targets: ["ParleyAssemblyAIPlugins"]),
        .library(name: "ParleyServer", targets: ["ParleyServer"]),
        .executable(name: "parley", targets: ["parley"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        // The engine: frames, queues, stages, graph, runner, clock, probes, registry, YAML layer.
        .target(
            name: "ParleyCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // libopus, through static inline wrappers for its variadic ctl calls.
        .systemLibrary(name: "COpus", path: "Sources/COpus", pkgConfig: "opus",
                       providers: [.apt(["libopus-dev"]), .brew(["opus"])]),
        // WAV I/O, Opus encode/decode, reply recording, jitter buffer.
        .target(name: "ParleyAudio", dependencies: ["ParleyCore", "COpus"], swiftSettings: strict),
        // The voice session: config schema, per-session overrides, pipeline assembly.
        .target(
            name: "ParleyAgent",
            dependencies: ["ParleyCore", "ParleyAudio", "ParleyLiveKit", "ParleyWebRTC",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Engine-independent stages that need no third-party engine (energy VAD, loopback responder, probes).
        .target(
            name: "ParleyBuiltinPlugins",
            dependencies: ["ParleyCore"],
            path: "Plugins/Builtin",
            swiftSettings: strict
        ),
        // WebRTC VAD from Debian's libwebrtc-audio-processing (BSD-3). No pkgConfig: its .pc
        // adds -D flags SwiftPM rejects; the module map links the library by name.
        .systemLibrary(name: "CWebRTCVAD", path: "Sources/CWebRTCVAD"),
        .target(name: "ParleyWebRTCPlugins", dependencies: ["ParleyCore", "CWebRTCVAD"], path: "Plugins/WebRTC",
                swiftSettings: strict),
        // speexdsp noise suppression (BSD-3).
        .systemLibrary(name: "CSpeexDSP", path: "Sources/CSpeexDSP", pkgConfig: "speexdsp",
                       providers: [.apt(["libspeexdsp-dev"]), .brew(["speexdsp"])]),
        .target(name: "ParleySpeexPlugins", dependencies: ["ParleyCore", "CSpeexDSP"], path: "Plugins/Speex",
                swiftSettings: strict),
        // The OpenAI provider family (chat-completions LLM now; TTS/STT later): streaming HTTP over URLSession.
        .target(name: "ParleyOpenAIPlugins",
                dependencies: ["ParleyCore", "ParleyProviderSupport", .product(name: "Logging", package: "swift-log")],
                path: "Plugins/OpenAI", swiftSettings: strict),
        .testTarget(name: "ParleyOpenAIPluginTests", dependencies: ["ParleyOpenAIPlugins", "ParleyCore", "ParleyAgent", "ParleyTestSupport",
                                                              "ParleyProviderConformance"],
                    swiftSettings: strict),
        // Streaming cloud TTS: shared speech output and provider I/O thread, then one target per provider.
        .target(name: "ParleyProviderSupport", dependencies: ["ParleyCore"], path: "Plugins/ProviderSupport",
                swiftSettings: strict),
        .target(name: "ParleyCartesiaPlugins",
                dependencies: ["ParleyCore", "ParleyProviderSupport", "ParleyWebSocket", .product(name: "Logging", package: "swift-log")],
                path: "Plugins/Cartesia", swiftSettings: strict),
        .testTarget(name: "ParleyCartesiaPluginTests",
                    dependencies: ["ParleyCartesiaPlugins", "ParleyCore", "ParleyTestSupport", "ParleyProviderConformance"],
                    swiftSettings: strict),
        .target(name: "ParleyElevenLabsPlugins",
                dependencies: ["ParleyCore", "ParleyProviderSupport", "ParleyWebSocket", .product(name: "Logging", package: "swift-log")],
                path: "Plugins/ElevenLabs", swiftSettings: strict),
        .testTarget(name: "ParleyElevenLabsPluginTests",
                    dependencies: ["ParleyElevenLabsPlugins", "ParleyCore", "ParleyTestSupport", "ParleyProviderConformance"],
                    swiftSettings: strict),
        // Streaming cloud STT: the shared client core, then one target per provider.
        .target(name: "ParleyStreamingSTT", dependencies: ["ParleyCore", "ParleyWebSocket", .product(name: "Logging", package: "swift-log")],
                path: "Plugins/StreamingSTT", swiftSettings: strict),
        .testTarget(name: "ParleyStreamingSTTTests", dependencies: ["ParleyStreamingSTT", "ParleyCore"], swiftSettings: strict),
        .target(name: "ParleyDeepgramPlugins", dependencies: ["ParleyStreamingSTT", "ParleyCore", "ParleyWebSocket"],
                path: "Plugins/Deepgram", swiftSettings: strict),
        .testTarget(name: "ParleyDeepgramPluginTests", dependencies: ["ParleyDeepgramPlugins", "ParleyStreamingSTT", "ParleyCore",
                    "ParleyTestSupport", "ParleyProviderConformance"], swiftSettings: strict),
        .target(name: "ParleyAssemblyAIPlugins", dependencies: ["ParleyStreamingSTT", "ParleyCore", "ParleyWebSocket"],
                path: "Plugins/AssemblyAI", swiftSettings: strict),
        .testTarget(name: "ParleyAssemblyAIPluginTests", dependencies: ["ParleyAssemblyAIPlugins", "ParleyStreamingSTT", "ParleyCore",
                    "ParleyTestSupport", "ParleyProviderConformance"], swiftSettings: strict),
        // `parley bench`: scenarios, simulated providers, the runners' protocol, metrics and the report.
        .target(name: "ParleyBench", dependencies: ["ParleyCore", "ParleyAudio", "ParleyAgent", "ParleyProviderSupport",
                                                    .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .testTarget(name: "ParleyBenchTests", dependencies: ["ParleyBench", "ParleyCore", "ParleyAudio", "ParleyAgent",
                                                      "ParleyBuiltinPlugins", "ParleyWebRTCPlugins", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: strict),
        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyCore", "ParleyAudio", "ParleyAgent", "ParleyBuiltinPlugins", "ParleyWebRTCPlugins", "ParleyOpenAIPlugins",
                "ParleySpeexPlugins", "ParleyLiveKit", "ParleyEspeakEngine", "ParleyServer", "ParleyBench",
                "ParleyDeepgramPlugins", "ParleyAssemblyAIPlugins", "ParleyCartesiaPlugins", "ParleyElevenLabsPlugins",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // Test support shared by test targets (launching the Python LiveKit test server).
        .target(name: "ParleyTestSupport", path: "Tests/ParleyTestSupport", swiftSettings: strict),
        // The provider conformance kit: checks every STT/LLM/TTS plugin runs against its protocol test server.
        .target(name: "ParleyProviderConformance", dependencies: ["ParleyCore", "ParleyTestSupport",
                                                                .product(name: "Logging", package: "swift-log")],
                path: "Tests/ParleyProviderConformance", swiftSettings: strict),
        .testTarget(
            name: "ParleyCoreTests",
            dependencies: ["ParleyCore", .product(name: "MetricsTestKit", package: "swift-metrics")],
            swiftSettings: strict
        ),
        .testTarget(name: "ParleyAudioTests", dependencies: ["ParleyAudio"], swiftSettings: strict),
        .testTarget(
            name: "ParleyAgentTests",
            dependencies: ["ParleyAgent", "ParleyBuiltinPlugins", "ParleyAudio", "ParleyCore", "ParleyOpenAIPlugins",
                           "ParleyTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ParleyPluginTests",
            dependencies: ["ParleyWebRTCPlugins", "ParleySpeexPlugins", "ParleyBuiltinPlugins", "ParleyAudio", "ParleyCore"],
            swiftSettings: strict
        ),
        // WebRTC transport: wire formats (STUN, SDP, RTP/RTCP), ICE, DTLS 1.2 over OpenSSL, SRTP over libsrtp2, SCTP/DCEP over usrsctp.
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        // libsrtp2 (BSD-3): SRTP/SRTCP keyed by the DTLS-SRTP handshake.
        .systemLibrary(name: "CSRTP", path: "Sources/CSRTP", pkgConfig: "libsrtp2",
                       providers: [.apt(["libsrtp2-dev"]), .brew(["srtp"])]),
        // usrsctp (BSD-3): the SCTP stack under WebRTC data channels, in AF_CONN mode. No pkgConfig:
        // usrsctp.pc adds -DINET -DINET6, which SwiftPM rejects; the module map links it by name.
        .systemLibrary(name: "CUsrSCTP", path: "Sources/CUsrSCTP"),
        .target(name: "ParleyRTC", dependencies: ["COpenSSL", "CSRTP", "CUsrSCTP"], swiftSettings: strict),
        .testTarget(name: "ParleyRTCTests", dependencies: ["ParleyRTC"],
                    exclude: ["Fixtures/capture_aiortc.py", "Fixtures/dtls_peer_aiortc.py", "Fixtures/ice_peer_aioice.py",
                              "Fixtures/sctp_peer_aiortc.py"],
                    swiftSettings: strict),
        // PeerConnection: ICE → DTLS → SRTP/SCTP, an Opus audio track with the jitter buffer, data channels, RTCP SR/RR.
        .target(name: "ParleyWebRTC", dependencies: ["ParleyRTC", "ParleyAudio", "ParleyCore"], swiftSettings: strict),
        .testTarget(name: "ParleyWebRTCTests", dependencies: ["ParleyWebRTC", "ParleyRTC", "ParleyAudio", "ParleyCore"],
                    exclude: ["Fixtures/pc_peer_aiortc.py", "Fixtures/pc_renego_aiortc.py"], swiftSettings: strict),
        // The session backend: HTTP API (Hummingbird 2), auth, SQLite store (sqlite-nio, WAL).
        .target(
            name: "ParleyServer",
            dependencies: [
                "ParleyLiveKit", "ParleyAgent", "ParleyCore", "ParleyRTC", "COpenSSL",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"), .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ParleyServerTests",
            dependencies: ["ParleyServer", "ParleyLiveKit", "ParleyAgent", "ParleyCore", "parley", "ParleyTestSupport",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "SQLiteNIO", package: "sqlite-nio"), .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strict
        ),
        // libwebsockets (MIT) 4.1: the one WebSocket client engine (one context, one service thread per process).
        .systemLibrary(name: "CLibWebSockets", path: "Sources/CLibWebSockets", pkgConfig: "libwebsockets",
                       providers: [.apt(["libwebsockets-dev"]), .brew(["libwebsockets"])]),
        // WebSocket client: LiveKit /rtc and /agent, cloud STT/TTS providers.
        .target(name: "ParleyWebSocket",
                dependencies: ["CLibWebSockets", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .testTarget(name: "ParleyWebSocketTests", dependencies: ["ParleyWebSocket"],
                    exclude: ["Fixtures/ws_peer.py"], swiftSettings: strict),
        // The LiveKit protobuf subset (Protos/) and its generated Swift (Generated/, from scripts/generate-proto).
        .target(name: "ParleyLiveKitProto",
                dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["Protos"]),
        // LiveKit: access tokens, the Twirp server API, signalling, rooms (two PeerConnections), data, the agent worker.
        .target(
            name: "ParleyLiveKit",
            dependencies: [
                "ParleyRTC", "ParleyWebRTC", "ParleyAudio", "ParleyCore", "ParleyLiveKitProto", "ParleyWebSocket",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "ParleyLiveKitTests",
                    dependencies: ["ParleyLiveKit", "ParleyLiveKitProto", "ParleyTestSupport", "ParleyWebRTC", "ParleyCore",
                                   .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    exclude: ["Fixtures/token_peer.py"], swiftSettings: strict),
        // espeak-ng (GPL-3.0): instant fallback speech and the IPA phonemes Piper needs.
        .systemLibrary(name: "CEspeakNG", path: "Sources/CEspeakNG", pkgConfig: "espeak-ng",
                       providers: [.apt(["libespeak-ng-dev"]), .brew(["espeak-ng"])]),
        .target(name: "ParleyEspeakEngine", dependencies: ["CEspeakNG", "ParleyCore"], path: "Plugins/Espeak",
                swiftSettings: strict),
        // Runs the built `parley` binary as a user would (bad input → one line, non-zero exit).
        .testTarget(name: "ParleyCLITests",
                    dependencies: ["parley", "ParleyTestSupport", "ParleyLiveKit", "ParleyAudio", "ParleyCore", "ParleyRTC"],
                    swiftSettings: strict),
    ]
)

if localEnginesInstalled {
    package.products.append(.library(name: "ParleySherpaEngines", targets: ["ParleySherpaEngines"]))
    package.targets += [
        .systemLibrary(name: "CSherpaOnnx", path: "Sources/CSherpaOnnx", pkgConfig: "sherpa-onnx-c-api"),
        // Apache-2.0 sherpa-onnx, MIT models; Piper's phonemes come from the GPL espeak target.
        .target(name: "ParleySherpaEngines", dependencies: ["CSherpaOnnx", "ParleyEspeakEngine", "ParleyCore"],
                path: "Plugins/Sherpa", swiftSettings: strict),
        .testTarget(name: "LocalEnginesTests",
                    dependencies: ["ParleySherpaEngines", "ParleyEspeakEngine", "CSherpaOnnx", "ParleyCore",
                                   "ParleyWebRTCPlugins", "ParleyBuiltinPlugins", "ParleyAgent", "ParleyProviderConformance"],
                    swiftSettings: strict),
    ]
    if let cli = package.targets.first(where: { $0.name == "parley" }) {
        cli.dependencies.append("ParleySherpaEngines")
    }
}

if llamaInstalled {
    package.products.append(.library(name: "ParleyLlamaPlugins", targets: ["ParleyLlamaPlugins"]))
    package.targets += [
        // llama.cpp (MIT), built by scripts/install-local-engines, which writes its llama.pc.
        .systemLibrary(name: "CLlama", path: "Sources/CLlama", pkgConfig: "llama"),
        // The in-process local LLM: MIT llama.cpp, Apache-2.0 SmolLM2 model. Its own target,
        // independent of the sherpa one (which links GPL espeak-ng).
        .target(name: "ParleyLlamaPlugins",
                dependencies: ["CLlama", "ParleyCore", .product(name: "Logging", package: "swift-log")],
                path: "Plugins/Llama", swiftSettings: strict),
    ]
    if let cli = package.targets.first(where: { $0.name == "parley" }) {
        cli.dependencies.append("ParleyLlamaPlugins")
    }
    if let tests = package.targets.first(where: { $0.name == "LocalEnginesTests" }) {
        tests.dependencies.append("ParleyLlamaPlugins")
    }
}
