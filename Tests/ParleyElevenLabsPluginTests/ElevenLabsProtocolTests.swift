// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
@testable import ParleyElevenLabsPlugins
import ParleyProviderConformance
import ParleyTestSupport
import Testing

/// What the `elevenlabs/…` stage sends and how it reads ElevenLabs' answers, checked against
/// elevenlabs_server.py's record of the conversation (the stream-input protocol as documented
/// at https://elevenlabs.io/docs/api-reference/text-to-speech/v-1-text-to-speech-voice-id-stream-input).
@Suite(.serialized)
struct ElevenLabsProtocolTests {
    let server: ProviderTestServer
    init() throws { server = try ElevenLabsHarness.server() }

    @Test func handshakeAndMessagesAreAsDocumented() async throws {
        let session = ConformanceTarget.newSession()
        let h = try ElevenLabsHarness.make(session: session, scenario: "ok",
                                           options: ["stability: 0.4", "similarity_boost: 0.75", "language: en"])
        h.push(.llm(.responseStarted(responseID: "r1")))
        h.push(.text(TextFrame(text: "Hello there.", role: .agent)))
        h.push(.text(TextFrame(text: "How are you?", role: .agent)))
        h.push(.llm(.responseEnded(responseID: "r1", finishReason: "stop")))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 2 })
        h.push(.text(TextFrame(text: "Good bye.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 3 })
        await TTSConformance.idle(h, for: .milliseconds(300))
        #expect(h.failures.isEmpty)

        let connections = try await server.requests(session: session)
        // One socket per reply, plus the one connected ahead for the next reply.
        #expect(connections.count == 3)
        #expect(connections.allSatisfy { $0["api_key"] as? String == conformanceSecretKey })
        #expect(connections.allSatisfy { $0["voice_id"] as? String == "voice-test" })
        let query = try #require(connections.first?["query"] as? [String: String])
        #expect(query == ["model_id": "eleven_flash_v2_5", "output_format": "pcm_24000", "auto_mode": "true",
                          "sync_alignment": "true", "inactivity_timeout": "180", "language_code": "en"])
        // Each used stream: a space with the voice settings, the sentences (flushed), the end.
        let streams = connections.map { ($0["messages"] as? [[String: Any]] ?? []).map { m in
            "\(m["text"] as? String ?? "?")|\(m["flush"] as? Bool ?? false)"
        } }
        #expect(streams == [[" |false", "Hello there. |true", "How are you? |true", "|false"],
                            [" |false", "Good bye. |true", "|false"], []])
        let first = try #require((connections.first?["messages"] as? [[String: Any]])?.first)
        #expect(first["voice_settings"] as? [String: Double] == ["stability": 0.4, "similarity_boost": 0.75])
        // Both streams ended normally (isFinal, then the server closed); the spare is still open.
        #expect(connections.map { $0["ended_by"] as? String } == ["server", "server", nil])
    }

    /// The server voices all of a reply at its end, in chunks that cross the boundaries of the
    /// texts: the alignment says where each text's audio begins.
    @Test func chunksAcrossTextsAreSplitByAlignment() async throws {
        let h = try ElevenLabsHarness.make(scenario: "batch")
        let reply = ["Hi.", "This is the second sentence, a little longer.", "And a third one!"]
        h.push(.llm(.responseStarted(responseID: "r1")))
        for t in reply { h.push(.text(TextFrame(text: t, role: .agent))) }
        h.push(.llm(.responseEnded(responseID: "r1", finishReason: "stop")))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 3 })
        let spoken = SpokenTexts(h.outputs)
        #expect(spoken.violations.isEmpty, "\(spoken.violations)")
        #expect(spoken.texts == reply)
        // Each text's audio is exactly its own (plus the space sent after it).
        #expect(spoken.spoken.map(\.decoded) == reply.map { $0 + " " })
    }

    @Test func interruptionClosesTheStream() async throws {
        let session = ConformanceTarget.newSession()
        let h = try ElevenLabsHarness.make(session: session, scenario: "hold", query: "fault_count=1")
        h.push(.llm(.responseStarted(responseID: "r1")))
        h.push(.text(TextFrame(text: "This is going to be interrupted.", role: .agent)))
        #expect(await TTSConformance.run(h) { $0.contains { if case .audio = $0 { true } else { false } } })
        h.pipeline.interrupt(.userSpeech)
        let record = try await server.eventually("the client closing the stream") { () async throws -> [String: Any]? in
            await TTSConformance.idle(h, for: .milliseconds(20))
            return try await server.requests(session: session).first { $0["ended_by"] as? String == "client" }
        }
        // The server was still holding most of the text when the client went away.
        #expect((record["pending_characters"] as? Int ?? 0) > 0)
        #expect(try await server.disconnects(session: session) == 1)
    }

    @Test func providerErrorMessageIsReported() async throws {
        let h = try ElevenLabsHarness.make(scenario: "provider_error", query: "fault_count=1")
        h.push(.text(TextFrame(text: "Hello there.", role: .agent)))
        #expect(await TTSConformance.run(h) { _ in !h.failures.isEmpty })
        await TTSConformance.idle(h, for: .milliseconds(200))
        #expect(h.failures.map(\.message) == ["ElevenLabs: error: internal_error: An internal error occurred (test fault) (code 1011)"])
        h.push(.text(TextFrame(text: "Again.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts == ["Again."] })
        #expect(h.failures.count == 1)
    }

    /// The socket connected ahead is closed by the provider after its inactivity timeout; the
    /// next reply connects again without a failure.
    @Test func aSocketThatTimedOutWaitingIsReplaced() async throws {
        let session = ConformanceTarget.newSession()
        let h = try ElevenLabsHarness.make(session: session, scenario: "ok", options: ["inactivity_timeout_s: 1"])
        h.push(.text(TextFrame(text: "One.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 1 })
        _ = try await server.eventually("the spare socket timing out") { () async throws -> Bool? in
            await TTSConformance.idle(h, for: .milliseconds(20))
            return try await server.requests(session: session).contains { $0["ended_by"] as? String == "timeout" } ? true : nil
        }
        h.push(.text(TextFrame(text: "Two.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 2 })
        #expect(h.failures.isEmpty, "\(h.failures)")
        #expect(SpokenTexts(h.outputs).spoken.map(\.decoded) == ["One. ", "Two. "])
    }

    @Test func withoutConnectingAheadEachReplyConnectsWhenItStarts() async throws {
        let session = ConformanceTarget.newSession()
        let h = try ElevenLabsHarness.make(session: session, scenario: "ok", query: "chunk_ms=20",
                                           options: ["connect_ahead: false", "sample_rate: 16000"])
        h.push(.text(TextFrame(text: "One.", role: .agent)))
        #expect(await TTSConformance.run(h) { SpokenTexts($0).texts.count == 1 })
        await TTSConformance.idle(h, for: .milliseconds(200))
        let connections = try await server.requests(session: session)
        #expect(connections.count == 1)
        let query = connections.first?["query"] as? [String: String]
        #expect(query?["output_format"] == "pcm_16000")
        #expect(query?["chunk_ms"] == "20", "the base URL's query is kept")
        #expect(SpokenTexts(h.outputs).spoken.first?.frames.first?.format.sampleRate == 16_000)
    }

    @Test func configErrorsNameWhatIsMissing() throws {
        let registry = StageRegistry()
        registry.register(ElevenLabsTTSStage.registration)
        func error(_ yaml: String, env: [String: String] = [:]) -> String {
            do {
                let node = try #require(try ConfigLoader.parse(yaml: "tts: \(yaml)", file: "t.yaml", environment: env)["tts"])
                _ = try registry.makeStage(.tts, from: node, environment: env)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(error("elevenlabs/eleven_flash_v2_5", env: ["ELEVENLABS_API_KEY": "k123"]).contains("needs a voice id"))
        #expect(error("elevenlabs/eleven_flash_v2_5:v1").contains("needs an API key"))
        #expect(error("{ provider: elevenlabs:v1, api_key: k123, speed: 3 }").contains("speed"))
        let stage = try registry.makeStage(.tts, descriptor: "elevenlabs:v/1", environment: ["ELEVENLABS_API_KEY": "k123"])
        let c = try #require(stage as? ElevenLabsTTSStage).configuration
        #expect(c.model == "eleven_flash_v2_5" && c.voiceID == "v/1")
        #expect(ElevenLabsTTSStage.endpoint(c).hasPrefix("wss://api.elevenlabs.io/v1/text-to-speech/v%2F1/stream-input?model_id="))
    }
}

/// `AlignmentCursor` on its own: which text each piece of a chunk belongs to.
struct AlignmentCursorTests {
    func chars(_ s: String) -> [String] { s.map { String($0) } }

    @Test func aChunkThatEndsOneTextAndStartsTheNextIsCut() {
        var cursor = AlignmentCursor()
        cursor.add("Hi.")
        cursor.add("Yes no.")
        // 20 ms per character at 1 kHz: 20 samples each.
        let first = cursor.split(chars: chars("Hi. Y"), startsMs: [0, 20, 40, 60, 80], samples: 100, sampleRate: 1000,
                                 chunkStartMs: 0)
        #expect(first.map { [$0.index, $0.from] } == [[0, 0], [1, 80]])
        let second = cursor.split(chars: chars("es no. "), startsMs: [0, 20, 40, 60, 80, 100, 120], samples: 140,
                                  sampleRate: 1000, chunkStartMs: 100)
        #expect(second.map { [$0.index, $0.from] } == [[1, 0]])
    }

    @Test func timesFromTheStartOfTheStreamAreRebased() {
        var cursor = AlignmentCursor()
        cursor.add("Ab")
        cursor.add("Cd")
        _ = cursor.split(chars: chars("A"), startsMs: [300], samples: 500, sampleRate: 1000, chunkStartMs: 0)
        let pieces = cursor.split(chars: chars("b C"), startsMs: [500, 520, 540], samples: 60, sampleRate: 1000,
                                  chunkStartMs: 500)
        // "C" starts 540 ms into the stream: 40 ms into this chunk.
        #expect(pieces.map { [$0.index, $0.from] } == [[0, 0], [1, 40]])
        // Relative times (ElevenLabs' own) are taken as they are.
        var relative = AlignmentCursor()
        relative.add("Ab")
        relative.add("Cd")
        _ = relative.split(chars: chars("A"), startsMs: [300], samples: 500, sampleRate: 1000, chunkStartMs: 0)
        let same = relative.split(chars: chars("b C"), startsMs: [0, 20, 40], samples: 60, sampleRate: 1000,
                                  chunkStartMs: 500)
        #expect(same.map { [$0.index, $0.from] } == [[0, 0], [1, 40]])
    }

    @Test func aChunkStartingWithTheNextTextBelongsToIt() {
        var cursor = AlignmentCursor()
        cursor.add("One.")
        cursor.add("Two.")
        _ = cursor.split(chars: chars("One. "), startsMs: [0, 1, 2, 3, 4], samples: 5, sampleRate: 1000, chunkStartMs: 0)
        let pieces = cursor.split(chars: chars("Two."), startsMs: [0, 1, 2, 3], samples: 4, sampleRate: 1000,
                                  chunkStartMs: 5)
        #expect(pieces.map { [$0.index, $0.from] } == [[1, 0]])
        // More characters than were sent stay with the last text.
        let extra = cursor.split(chars: chars("!!"), startsMs: [0, 1], samples: 2, sampleRate: 1000, chunkStartMs: 9)
        #expect(extra.map { [$0.index, $0.from] } == [[1, 0]])
    }
}
