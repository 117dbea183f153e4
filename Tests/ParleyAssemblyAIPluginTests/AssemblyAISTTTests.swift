// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAssemblyAIPlugins
import ParleyCore
import ParleyProviderConformance
import ParleyStreamingSTT
import Testing

/// What is particular to AssemblyAI v3, against assemblyai_server.py: the upgrade request
/// exactly as documented, 50…1000 ms audio messages (padding included), formatted turns,
/// `end_of_turn` → `endsUtterance`, word times after padding, in-band `Error` messages, and
/// config errors. Serialized: each test spins the pipeline loop on its thread, and CI has two cores.
@Suite(.serialized)
struct AssemblyAISTTTests {
    static let key = "aai-test-key-93b2"
    static let start: Nanos = 5_000_000_000

    static func push(_ speech: ToneSpeech, _ h: LiveStageHarness, _ sequence: inout UInt64, vad: Bool) {
        if vad { h.push(.control(.userStartedSpeaking(at: speech.wordSpans.first?.start ?? speech.start))) }
        for frame in speech.frames(sequence: &sequence) { h.push(.audio(frame)) }
        if vad { h.push(.control(.userStoppedSpeaking(speechEnd: speech.wordSpans.last?.end ?? speech.end))) }
    }

    static func finals(_ h: LiveStageHarness) -> [TranscriptFrame] { h.transcripts.filter(\.isFinal) }

    static func record(_ session: String, ended: Bool = false) async throws -> [String: Any] {
        let server = try AssemblyAIHarness.server()
        return try await server.eventually("the connection") {
            try await server.requests(session: session).first.flatMap { !ended || $0["ended_by"] is String ? $0 : nil }
        }
    }

    @Test func upgradeRequestIsAsDocumented() async throws {
        let target = ConformanceTarget(scenario: "ok", options: [
            "format_turns: true", "end_of_turn_confidence_threshold: 0.5",
            "min_end_of_turn_silence_when_confident: 300", "max_turn_silence: 1500",
        ], environment: ["ASSEMBLYAI_API_KEY": Self.key])
        let h = try AssemblyAIHarness.make(target)
        var sequence: UInt64 = 0
        Self.push(.silence(ms: 100, start: Self.start), h, &sequence, vad: false)
        h.idle(for: .milliseconds(100))
        let record = try await Self.record(target.session)
        #expect(record["path"] as? String == "/s/\(target.session)/ok/v3/ws")
        #expect(record["query_items"] as? [[String]] == [
            ["sample_rate", "16000"], ["encoding", "pcm_s16le"], ["format_turns", "true"],
            ["speech_model", "universal-streaming-english"], ["end_of_turn_confidence_threshold", "0.5"],
            ["min_end_of_turn_silence_when_confident", "300"], ["max_turn_silence", "1500"],
        ])
        // v3 takes the bare key as the Authorization value.
        #expect(record["authorization"] as? String == Self.key)
        h.pipeline.cancel()
    }

    @Test func multilingualVariantPicksTheMultilingualModel() async throws {
        let target = ConformanceTarget(scenario: "ok", options: ["api_key: \(Self.key)"])
        let h = try AssemblyAIHarness.make(target, descriptor: "assemblyai/universal-streaming:multi")
        var sequence: UInt64 = 0
        Self.push(.words([300], start: Self.start, tailMS: 40), h, &sequence, vad: true)
        #expect(h.run { _ in !Self.finals(h).isEmpty })
        let record = try await Self.record(target.session)
        #expect((record["query"] as? [String: String])?["speech_model"] == "universal-streaming-multilingual")
        #expect((record["query"] as? [String: String])?["format_turns"] == "false")
        // A multilingual model fixes no language.
        #expect(Self.finals(h).first?.language == nil)
        let stage = try #require(h.stage as? StreamingSTTStage)
        #expect(stage.name == "stt:assemblyai")
        h.pipeline.cancel()
    }

    /// Every audio message is 50…1000 ms (the server ends the session with 3007 otherwise), and
    /// at least `chunk_ms`. Frames are fed at a pace that lets the uplink send full messages
    /// before the ForceEndpoint, so the flush leaves one 20 ms frame, which must be padded.
    @Test(arguments: [50, 200])
    func audioMessagesStayWithinTheAllowedDurations(chunkMS: Int) async throws {
        let target = ConformanceTarget(scenario: "ok", options: ["api_key: \(Self.key)", "chunk_ms: \(chunkMS)"])
        let h = try AssemblyAIHarness.make(target)
        let server = try AssemblyAIHarness.server()
        let framesPerMessage = (chunkMS + 19) / 20
        let frameCount = 2 * framesPerMessage + 1
        let speech = ToneSpeech.words([300], start: Self.start, wordMS: frameCount * 20 - 40, leadMS: 20, tailMS: 20)
        var sequence: UInt64 = 0
        let frames = speech.frames(sequence: &sequence)
        #expect(frames.count == frameCount)
        h.push(.control(.userStartedSpeaking(at: speech.start)))
        for frame in frames {
            h.push(.audio(frame))
            h.idle(for: .milliseconds(2))
        }
        let fullMessages = 2 * framesPerMessage * 640
        _ = try await server.eventually("two full messages") {
            try await server.requests(session: target.session).first.flatMap {
                ($0["audio_bytes"] as? Int ?? 0) >= fullMessages ? true : nil
            }
        }
        h.push(.control(.userStoppedSpeaking(speechEnd: speech.end)))
        h.push(.control(.endOfStream))
        #expect(h.run(timeout: .seconds(15)) { _ in h.endOfStreamSeen })
        #expect(h.failures.isEmpty)
        let record = try await Self.record(target.session, ended: true)
        // The padded flush is exactly one message long; the full ones are longer or equal.
        #expect(record["min_chunk_ms"] as? Double == Double(chunkMS), "\(record)")
        #expect((record["max_chunk_ms"] as? Double ?? 2_000) <= 1_000)
        #expect(record["audio_messages"] as? Int == 3)
        let types = (record["control"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
        #expect(types == ["ForceEndpoint", "Terminate"])
        #expect(Self.finals(h).map(\.text) == ["three"])
    }

    /// With `format_turns`, the turn's final is the formatted message; the unformatted end of
    /// turn before it is shown as an interim of the same segment.
    @Test func formattedTurnIsTheFinal() async throws {
        let h = try AssemblyAIHarness.make(ConformanceTarget(scenario: "ok", options: [
            "api_key: \(Self.key)", "format_turns: true"]))
        var sequence: UInt64 = 0
        Self.push(.words([300, 500], start: Self.start, tailMS: 40), h, &sequence, vad: true)
        #expect(h.run { _ in !Self.finals(h).isEmpty })
        h.idle(for: .milliseconds(200))
        let finals = Self.finals(h)
        #expect(finals.map(\.text) == ["Three five."])
        #expect(finals.map(\.endsUtterance) == [true])
        let unformatted = h.transcripts.last { !$0.isFinal }
        #expect(unformatted?.text == "three five" && unformatted?.segmentID == finals.first?.segmentID)
        #expect(finals.first?.words.map(\.word) == ["Three", "five."])
        h.pipeline.cancel()
    }

    /// AssemblyAI's own end of turn (silence, no VAD) is a final that ends the utterance, with `stt_final`.
    @Test func endOfTurnEndsTheUtterance() async throws {
        let h = try AssemblyAIHarness.make(ConformanceTarget(scenario: "ok", options: [
            "api_key: \(Self.key)", "min_end_of_turn_silence_when_confident: 200"]))
        var sequence: UInt64 = 0
        Self.push(.words([300, 500], start: Self.start, gapMS: 100, tailMS: 500), h, &sequence, vad: false)
        #expect(h.run { _ in !Self.finals(h).isEmpty })
        #expect(Self.finals(h).map(\.text) == ["three five"])
        #expect(Self.finals(h).map(\.endsUtterance) == [true])
        #expect(h.metrics.contains { $0.name == "stt_final" })
        h.pipeline.cancel()
    }

    /// The silence padding of a flushed message is on AssemblyAI's clock, not the media
    /// timeline: words after it still land on their tones' media times.
    @Test func wordTimesStayOnTheMediaTimelineAfterPadding() async throws {
        let h = try AssemblyAIHarness.make(ConformanceTarget(scenario: "ok", options: ["api_key: \(Self.key)",
                                                                                       "chunk_ms: 300"]))
        var sequence: UInt64 = 0
        let first = ToneSpeech.words([300], start: Self.start, tailMS: 20)
        Self.push(first, h, &sequence, vad: true)
        // The next utterance 2 s later on the media timeline (frames in between never arrived).
        let second = ToneSpeech.words([500, 700], start: first.end + 2_000_000_000, leadMS: 120, tailMS: 20)
        Self.push(second, h, &sequence, vad: true)
        #expect(h.run { _ in Self.finals(h).count == 2 })
        let words = Self.finals(h).flatMap(\.words)
        let spans = first.wordSpans + second.wordSpans
        #expect(words.map(\.word) == ["three", "five", "seven"])
        for (word, span) in zip(words, spans) {
            #expect(abs(word.start - span.start) <= 20_000_000 && abs(word.end - span.end) <= 20_000_000,
                    "\(word.word): \(word.start)…\(word.end), tone \(span.start)…\(span.end)")
        }
        h.pipeline.cancel()
    }

    @Test func errorMessagesAreFailuresWithTheirCode() async throws {
        let h = try AssemblyAIHarness.make(ConformanceTarget(scenario: "error_close", options: ["api_key: \(Self.key)"]))
        var sequence: UInt64 = 0
        Self.push(.words([300], start: Self.start), h, &sequence, vad: true)
        #expect(h.run { _ in !h.failures.isEmpty })
        h.idle(for: .milliseconds(200))
        // One failure: the 3005 close that follows the Error message is its consequence.
        #expect(h.failures.map(\.message) == ["AssemblyAI reported an error: error 3005: Session Cancelled: An error occurred"])
        h.pipeline.cancel()
    }

    @Test func aMissingKeyIsReportedAsAssemblyAIReportsIt() async throws {
        let h = try AssemblyAIHarness.make(ConformanceTarget(scenario: "ok"))
        var sequence: UInt64 = 0
        Self.push(.words([300], start: Self.start), h, &sequence, vad: true)
        #expect(h.run { _ in !h.failures.isEmpty })
        #expect(h.failures.map(\.message)
            == ["AssemblyAI reported an error: error 1008: Unauthorized Connection: Missing Authorization header"])
        h.pipeline.cancel()
    }

    @Test func badOptionsAreConfigErrors() throws {
        let registry = StageRegistry()
        registry.register(AssemblyAISTT.registration)
        func message(_ yaml: String) -> String {
            do {
                let node = try #require(try ConfigLoader.parse(yaml: "stt: \(yaml)", file: "t.yaml", environment: [:])["stt"])
                _ = try registry.makeStage(.stt, from: node, environment: [:])
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("assemblyai/universal-streaming").contains("no API key: set api_key or ASSEMBLYAI_API_KEY"))
        #expect(message("{ provider: assemblyai/universal-streaming:fr, api_key: k }")
            .contains("universal-streaming has no variant \"fr\" (allowed: en, multi)"))
        let wrongScheme = message("{ provider: assemblyai/universal-streaming, api_key: sk-very-secret, base_url: \"http://x/v3/ws\" }")
        #expect(wrongScheme.contains("is not a ws:// or wss:// URL"))
        #expect(!wrongScheme.contains("sk-very-secret"))
        #expect(message("{ provider: assemblyai/universal-streaming, api_key: k, chunk_ms: 20 }").contains("chunk_ms"))
        #expect(message("{ provider: assemblyai/u3-rt-pro, api_key: k }") == "no error")
    }
}
