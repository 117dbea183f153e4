// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import ParleyCartesiaPlugins
import ParleyCore
import ParleyProviderConformance
import ParleyTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What the `cartesia/…` stage sends and how it reads Cartesia's answers, checked against
/// cartesia_server.py's record of each connection (the protocol as documented at
/// https://docs.cartesia.ai/2024-11-13/api-reference/tts/websocket).
@Suite(.serialized)
struct CartesiaProtocolTests {
    let server: ProviderTestServer
    init() throws { server = try CartesiaHarness.server() }

    func messages(_ session: String) async throws -> [[String: Any]] {
        try await server.requests(session: session).flatMap { $0["messages"] as? [[String: Any]] ?? [] }
    }

    @Test func handshakeAndMessagesAreAsDocumented() async throws {
        let session = ConformanceTarget.newSession()
        let h = try CartesiaHarness.make(session: session, scenario: "ok")
        h.push(.llm(.responseStarted(responseID: "r1")))
        h.push(.text(TextFrame(text: "Hello there.", role: .agent)))
        h.push(.text(TextFrame(text: "How are you?", role: .agent)))
        h.push(.llm(.responseEnded(responseID: "r1", finishReason: "stop")))
        h.push(.text(TextFrame(text: "Good bye.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 3 })
        await TTSConformance.idle(h, for: .milliseconds(200))
        #expect(h.failures.isEmpty)

        let connections = try await server.requests(session: session)
        // One socket for every reply, opened ahead of the first text.
        #expect(connections.count == 1)
        let c = try #require(connections.first)
        #expect(c["api_key"] as? String == conformanceSecretKey)
        #expect(c["version"] as? String == "2024-11-13")
        #expect((c["query"] as? [String: Any])?.isEmpty == true, "the key stays out of the URL")

        let sent = try await messages(session)
        try #require(sent.count == 6)
        let reply = sent[0]["context_id"] as? String
        #expect(reply != nil && sent[0..<5].allSatisfy { $0["context_id"] as? String == reply })
        #expect(sent[0]["model_id"] as? String == "sonic-2")
        #expect(sent[0]["voice"] as? [String: String] == ["mode": "id", "id": "voice-test"])
        #expect(sent[0]["language"] as? String == "en")
        let format = sent[0]["output_format"] as? [String: Any]
        #expect(format?["container"] as? String == "raw" && format?["encoding"] as? String == "pcm_s16le"
                && format?["sample_rate"] as? Int == 24_000)
        // Sentences are continued (with the space between them ours to send), each followed by a
        // flush so its audio carries its own flush id; the reply's end closes the context.
        let shape = sent.map { m in
            "\(m["transcript"] as? String ?? "?")|\(m["continue"] as? Bool ?? false)|\(m["flush"] as? Bool ?? false)"
        }
        #expect(shape == ["Hello there. |true|false", "|true|true", "How are you? |true|false", "|true|true",
                          "|false|false", "Good bye.|false|false"])
        // The text outside any reply is a context of its own.
        #expect(sent[5]["context_id"] as? String != reply)
    }

    /// Sentences of two replies (told apart by their reply ids) with no LLM frames between
    /// them: the second reply starts a new context.
    @Test func aNewReplyIDStartsANewContext() async throws {
        let session = ConformanceTarget.newSession()
        let h = try CartesiaHarness.make(session: session, scenario: "ok")
        h.push(.llm(.responseStarted(responseID: "r1")))
        h.push(.text(TextFrame(text: "First reply.", role: .agent, replyID: "a")))
        h.push(.text(TextFrame(text: "Second reply.", role: .agent, replyID: "b")))
        h.push(.llm(.responseEnded(responseID: "r1", finishReason: "stop")))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 2 })
        await TTSConformance.idle(h, for: .milliseconds(100))
        let sent = try await messages(session)
        let contexts = sent.compactMap { $0["context_id"] as? String }
        #expect(Set(contexts).count == 2)
        // The first context was closed when the second reply began.
        #expect(sent.filter { $0["continue"] as? Bool == false }.count == 2)
        #expect(SpokenTexts(h.outputs).spoken.map(\.replyID) == ["a", "b"])
    }

    @Test func interruptionCancelsTheCutContext() async throws {
        let session = ConformanceTarget.newSession()
        let h = try CartesiaHarness.make(session: session, scenario: "hold")
        h.push(.llm(.responseStarted(responseID: "r1")))
        h.push(.text(TextFrame(text: "This is going to be interrupted.", role: .agent)))
        #expect(await TTSConformance.run(h) { $0.contains { if case .audio = $0 { true } else { false } } })
        h.pipeline.interrupt(.userSpeech)
        await TTSConformance.idle(h, for: .milliseconds(300))
        let record = try #require(try await server.requests(session: session).first)
        let context = try #require((record["messages"] as? [[String: Any]])?.first?["context_id"] as? String)
        #expect(record["cancels"] as? [String] == [context])
        _ = try await server.admin("/_test/release?session=\(session)")
    }

    @Test func providerErrorMessageIsReported() async throws {
        let h = try CartesiaHarness.make(scenario: "provider_error", query: "fault_count=1")
        h.push(.text(TextFrame(text: "Hello there.", role: .agent)))
        #expect(await TTSConformance.run(h) { _ in !h.failures.isEmpty })
        await TTSConformance.idle(h, for: .milliseconds(200))
        #expect(h.failures.map(\.message) == ["Cartesia: error for a text: status 500: Internal error while generating audio (test fault)"])
        #expect(SpokenTexts(h.outputs).started == 0, "a text that got no audio was never said")
        h.push(.text(TextFrame(text: "Again.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts == ["Again."] })
    }

    /// Two texts at once run as two contexts whose chunks interleave on the socket; they still
    /// come out one after the other, each with its own audio.
    @Test func concurrentContextsComeOutInOrder() async throws {
        let session = ConformanceTarget.newSession()
        let h = try CartesiaHarness.make(session: session, scenario: "ok")
        let texts = ["The first text is rather long, it takes a while.", "Second text.", "Third."]
        for t in texts { h.push(.text(TextFrame(text: t, role: .agent))) }
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 3 })
        let spoken = SpokenTexts(h.outputs)
        #expect(spoken.violations.isEmpty, "\(spoken.violations)")
        #expect(spoken.texts == texts)
        #expect(spoken.spoken.map(\.decoded) == texts)
        // Consecutive on the media timeline.
        for (a, b) in zip(spoken.spoken, spoken.spoken.dropFirst()) {
            #expect(b.frames.first!.timestamp == a.frames.last!.endTimestamp)
        }
        #expect(Set(try await messages(session).compactMap { $0["context_id"] as? String }).count == 3)
    }

    @Test func sampleRateLanguageAndKeyFromTheEnvironment() async throws {
        let session = ConformanceTarget.newSession()
        let h = try CartesiaHarness.make(session: session, scenario: "ok", options: ["sample_rate: 16000", "language: de"],
                                         key: nil, environment: ["CARTESIA_API_KEY": "sk_car_from_env_1234"])
        h.push(.text(TextFrame(text: "Hallo.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 1 })
        let spoken = SpokenTexts(h.outputs).spoken[0]
        #expect(spoken.frames.allSatisfy { $0.format == AudioFormat(sampleRate: 16_000, channels: 1, frameDurationMs: 20) })
        #expect(spoken.decoded == "Hallo.")
        #expect(try await server.requests(session: session).first?["api_key"] as? String == "sk_car_from_env_1234")
        let first = try #require(try await messages(session).first)
        #expect((first["output_format"] as? [String: Any])?["sample_rate"] as? Int == 16_000)
        #expect(first["language"] as? String == "de")
    }

    /// Latency injected through the server's query (kept after /tts/websocket): a first byte
    /// later than usual but within the timeout is no failure, and it is in the ttfb.
    @Test func injectedLatencyWithinTheTimeoutIsNoFailure() async throws {
        let session = ConformanceTarget.newSession()
        let h = try CartesiaHarness.make(session: session, scenario: "slow_first_byte", query: "delay_ms=300&chunk_ms=20",
                                         options: ["timeout_ms: 10000"])
        h.push(.text(TextFrame(text: "Take your time.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 1 })
        #expect(h.failures.isEmpty)
        #expect(SpokenTexts(h.outputs).spoken.first?.decoded == "Take your time.")
        #expect(try await server.requests(session: session).first?["query"] as? [String: String]
                == ["delay_ms": "300", "chunk_ms": "20"])
        let ttfb = try #require(h.metrics.first { $0.name == "ttfb" })
        #expect(ttfb.nanoseconds >= 300_000_000, "the injected delay is part of the time to first byte")
    }

    /// The client's async work runs on `ProviderTaskExecutor`'s thread, not Swift's cooperative
    /// pool: with every pool thread blocked (a busy process, a test spinning a loop), the text
    /// is still spoken.
    @Test func speaksWhileTheCooperativePoolIsBlocked() throws {
        let h = try CartesiaHarness.make(scenario: "ok")
        for _ in 0..<ProcessInfo.processInfo.activeProcessorCount { Task.detached { usleep(6_000_000) } }
        usleep(100_000)
        h.push(.text(TextFrame(text: "Still here.", role: .agent)))
        // A blocking wait on this cooperative thread as well.
        #expect(h.run(timeout: .seconds(5)) { SpokenTexts($0).texts.count == 1 })
    }

    @Test func configErrorsNameWhatIsMissing() throws {
        let registry = StageRegistry()
        registry.register(CartesiaTTSStage.registration)
        func error(_ yaml: String, env: [String: String] = [:]) -> String {
            do {
                let node = try #require(try ConfigLoader.parse(yaml: "tts: \(yaml)", file: "t.yaml", environment: env)["tts"])
                _ = try registry.makeStage(.tts, from: node, environment: env)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(error("cartesia/sonic-2", env: ["CARTESIA_API_KEY": "k123"]).contains("needs a voice id"))
        #expect(error("cartesia/sonic-2:v1").contains("needs an API key"))
        #expect(error("{ provider: cartesia/sonic-2:v1, api_key: k123, base_url: \"ftp://x\" }").contains("is not a ws(s):// URL"))
        #expect(error("{ provider: cartesia/sonic-2:v1, api_key: k123, sample_rate: 12345 }").contains("sample_rate"))
        #expect(error("{ provider: cartesia/sonic-2:v1, api_key: k123 }") == "no error")
        let stage = try registry.makeStage(.tts, descriptor: "cartesia/sonic-3:abc", environment: ["CARTESIA_API_KEY": "k123"])
        let c = try #require(stage as? CartesiaTTSStage).configuration
        #expect(c.model == "sonic-3" && c.voiceID == "abc" && c.baseURL == "wss://api.cartesia.ai" && c.sampleRate == 24_000)
        #expect(CartesiaTTSStage.endpoint("wss://api.cartesia.ai") == "wss://api.cartesia.ai/tts/websocket")
        #expect(CartesiaTTSStage.endpoint("ws://h:1/p/?x=1") == "ws://h:1/p/tts/websocket?x=1")
        #expect(try CartesiaTTSStage.webSocketBase("https://proxy.example/cartesia") == "wss://proxy.example/cartesia")
    }
}
