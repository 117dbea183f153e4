// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyDeepgramPlugins
import ParleyProviderConformance
import ParleyStreamingSTT
import Testing

/// What is particular to Deepgram, against deepgram_server.py: the upgrade request exactly as
/// documented, KeepAlive, how `speech_final`/`Finalize`/`UtteranceEnd` map to `endsUtterance`,
/// word timings on the media timeline, error closes, and config errors.
/// Serialized: each test spins the pipeline loop on its thread, and CI has two cores.
@Suite(.serialized)
struct DeepgramSTTTests {
    static let key = "dg-test-key-7d1e"
    static let start: Nanos = 5_000_000_000

    /// Pushes `speech` (and optionally a VAD's start/stop around it).
    static func push(_ speech: ToneSpeech, _ h: LiveStageHarness, _ sequence: inout UInt64, vad: Bool) {
        if vad { h.push(.control(.userStartedSpeaking(at: speech.wordSpans.first?.start ?? speech.start))) }
        for frame in speech.frames(sequence: &sequence) { h.push(.audio(frame)) }
        if vad { h.push(.control(.userStoppedSpeaking(speechEnd: speech.wordSpans.last?.end ?? speech.end))) }
    }

    static func finals(_ h: LiveStageHarness) -> [TranscriptFrame] { h.transcripts.filter(\.isFinal) }

    static func record(_ session: String) async throws -> [String: Any] {
        let server = try DeepgramHarness.server()
        return try await server.eventually("the connection") { try await server.requests(session: session).first }
    }

    @Test func upgradeRequestIsAsDocumented() async throws {
        let target = ConformanceTarget(scenario: "ok", options: ["endpointing_ms: 300", "utterance_end_ms: 1000",
                                                                  "smart_format: false", "vad_events: false"],
                                       environment: ["DEEPGRAM_API_KEY": Self.key])
        let h = try DeepgramHarness.make(target, descriptor: "deepgram/nova-2:es")
        var sequence: UInt64 = 0
        Self.push(.silence(ms: 100, start: Self.start), h, &sequence, vad: false)
        h.idle(for: .milliseconds(100))
        let record = try await Self.record(target.session)
        #expect(record["path"] as? String == "/s/\(target.session)/ok/v1/listen")
        #expect(record["query_items"] as? [[String]] == [
            ["model", "nova-2"], ["language", "es"], ["encoding", "linear16"], ["sample_rate", "16000"],
            ["channels", "1"], ["interim_results", "true"], ["endpointing", "300"], ["vad_events", "false"],
            ["smart_format", "false"], ["utterance_end_ms", "1000"],
        ])
        // Deepgram keys go as `Token <key>` (Bearer is for short-lived JWTs).
        #expect(record["authorization"] as? String == "Token \(Self.key)")
        h.pipeline.cancel()
    }

    @Test func defaultsAndEndpointingOff() async throws {
        let target = ConformanceTarget(scenario: "ok", options: ["api_key: \(Self.key)", "endpointing_ms: 0"])
        let h = try DeepgramHarness.make(target, descriptor: "deepgram/nova-3")
        var sequence: UInt64 = 0
        Self.push(.silence(ms: 100, start: Self.start), h, &sequence, vad: false)
        h.idle(for: .milliseconds(100))
        let record = try await Self.record(target.session)
        #expect(record["query_items"] as? [[String]] == [
            ["model", "nova-3"], ["language", "en"], ["encoding", "linear16"], ["sample_rate", "16000"],
            ["channels", "1"], ["interim_results", "true"], ["endpointing", "false"], ["vad_events", "true"],
            ["smart_format", "true"],
        ])
        let stage = try #require(h.stage as? StreamingSTTStage)
        #expect(stage.name == "stt:deepgram")
        #expect(stage.inputCaps == AudioCaps(sampleRates: [16_000], channels: [1]))
        h.pipeline.cancel()
    }

    /// Without audio, KeepAlive every `keepalive_ms` keeps the stream open past the server's idle
    /// timeout (Deepgram's is 10 s; this server's is set to 800 ms).
    @Test func keepAliveHoldsAnIdleStreamOpen() async throws {
        let target = ConformanceTarget(scenario: "ok", query: "idle_timeout_ms=800",
                                       options: ["api_key: \(Self.key)", "keepalive_ms: 200"])
        let h = try DeepgramHarness.make(target)
        var sequence: UInt64 = 0
        Self.push(.silence(ms: 100, start: Self.start), h, &sequence, vad: false)
        h.idle(for: .milliseconds(2_000))
        #expect(h.failures.isEmpty)
        let record = try await Self.record(target.session)
        let types = (record["control"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
        #expect(types.filter { $0 == "KeepAlive" }.count >= 4, "control messages: \(types)")
        #expect(types.allSatisfy { $0 == "KeepAlive" })
        #expect(record["ended_by"] is NSNull, "the stream was closed: \(record)")
        h.pipeline.cancel()
    }

    /// The control: with KeepAlive too rare, the server closes the idle stream with 1011
    /// NET-0001, which is reported with its code and reason.
    @Test func anIdleStreamClosedByDeepgramIsReported() async throws {
        let target = ConformanceTarget(scenario: "ok", query: "idle_timeout_ms=600",
                                       options: ["api_key: \(Self.key)", "keepalive_ms: 9000"])
        let h = try DeepgramHarness.make(target)
        var sequence: UInt64 = 0
        Self.push(.silence(ms: 100, start: Self.start), h, &sequence, vad: false)
        #expect(h.run(timeout: .seconds(10)) { _ in !h.failures.isEmpty })
        #expect(h.failures.map(\.message) == ["Deepgram closed the stream mid-stream with code 1011 (NET-0001)"])
        #expect(h.failures.first?.isFatal == false)
        h.pipeline.cancel()
    }

    @Test func errorCloseIsReportedWithItsCode() async throws {
        let target = ConformanceTarget(scenario: "error_close", options: ["api_key: \(Self.key)"])
        let h = try DeepgramHarness.make(target)
        var sequence: UInt64 = 0
        Self.push(.words([300], start: Self.start), h, &sequence, vad: true)
        #expect(h.run(timeout: .seconds(10)) { _ in !h.failures.isEmpty })
        h.idle(for: .milliseconds(200))
        #expect(h.failures.map(\.message) == ["Deepgram closed the stream mid-stream with code 1011 (NET-0000)"])
        h.pipeline.cancel()
    }

    /// `speech_final` (endpointing) ends the utterance; a `Finalize` answer does not (the VAD
    /// decided); `UtteranceEnd` ends a pending utterance with an empty final.
    @Test func endsUtteranceFollowsSpeechFinalAndUtteranceEnd() async throws {
        let endpointed = try DeepgramHarness.make(ConformanceTarget(scenario: "ok", options: [
            "api_key: \(Self.key)", "endpointing_ms: 100"]))
        var sequence: UInt64 = 0
        Self.push(.words([300, 500], start: Self.start, gapMS: 300, tailMS: 300), endpointed, &sequence, vad: false)
        #expect(endpointed.run { _ in Self.finals(endpointed).count == 2 })
        #expect(Self.finals(endpointed).map(\.text) == ["Three.", "Five."])
        #expect(Self.finals(endpointed).map(\.endsUtterance) == [true, true])
        endpointed.pipeline.cancel()

        let manual = try DeepgramHarness.make(ConformanceTarget(scenario: "ok", options: [
            "api_key: \(Self.key)", "endpointing_ms: 0", "utterance_end_ms: 1000"]))
        sequence = 0
        let speech = ToneSpeech.words([300, 500], start: Self.start, tailMS: 40)
        Self.push(speech, manual, &sequence, vad: true)
        #expect(manual.run { _ in !Self.finals(manual).isEmpty })
        #expect(Self.finals(manual).map(\.text) == ["Three five."])
        #expect(Self.finals(manual).map(\.endsUtterance) == [false])
        // 1.2 s of silence: the server's UtteranceEnd (1000 ms after the last word).
        Self.push(.silence(ms: 1_200, start: speech.end), manual, &sequence, vad: false)
        #expect(manual.run { _ in Self.finals(manual).count == 2 })
        let end = try #require(Self.finals(manual).last)
        #expect(end.text == "" && end.endsUtterance)
        #expect(end.segmentID != Self.finals(manual)[0].segmentID)
        #expect(manual.failures.isEmpty)
        manual.pipeline.cancel()
    }

    /// Deepgram answers every Finalize with a `from_finalize` result, empty when endpointing had
    /// finalized everything already; that answer is the final the turn manager waits for (the
    /// 10 s fallback of `finalize_timeout_ms` cannot be what answered within 5 s).
    @Test func anEmptyFinalizeAnswerIsTheFinal() async throws {
        let h = try DeepgramHarness.make(ConformanceTarget(scenario: "ok", options: [
            "api_key: \(Self.key)", "finalize_timeout_ms: 10000"]))
        var sequence: UInt64 = 0
        let speech = ToneSpeech.words([300], start: Self.start, tailMS: 300)
        Self.push(speech, h, &sequence, vad: false)
        #expect(h.run { _ in Self.finals(h).count == 1 })
        h.push(.control(.userStoppedSpeaking(speechEnd: speech.wordSpans[0].end)))
        #expect(h.run(timeout: .seconds(5)) { _ in Self.finals(h).count == 2 })
        #expect(Self.finals(h).last?.text == "")
        h.pipeline.cancel()
    }

    /// With no connection to ask (refused, waiting to retry), a stop is answered at once by an
    /// empty final that follows the stop itself (the turn manager looks for a final after it).
    @Test func aStopWithoutAConnectionIsAnsweredAfterTheStop() async throws {
        let h = try DeepgramHarness.make(ConformanceTarget(scenario: "error_401", options: ["api_key: \(Self.key)"]))
        var sequence: UInt64 = 0
        Self.push(.words([300], start: Self.start, tailMS: 40), h, &sequence, vad: false)
        #expect(h.run { _ in !h.failures.isEmpty })
        h.idle(for: .milliseconds(100))
        // A stop while the stage waits to retry (no userStartedSpeaking, so no new attempt).
        h.push(.control(.userStoppedSpeaking(speechEnd: Self.start + 400_000_000)))
        #expect(h.run { _ in !Self.finals(h).isEmpty })
        let outputs = h.outputs
        let stop = outputs.firstIndex { if case .control(.userStoppedSpeaking) = $0 { true } else { false } }
        let final = outputs.firstIndex { if case .transcript(let t) = $0 { t.isFinal } else { false } }
        #expect(stop != nil && final != nil && stop! < final!)
        #expect(Self.finals(h).map(\.text) == [""])
        #expect(h.failures.count == 1)
        h.pipeline.cancel()
    }

    /// Word times are media times even where the media timeline jumps (frames missing upstream):
    /// Deepgram's clock counts audio sent, the stage maps it back through the frames' timestamps.
    @Test func wordTimingsFollowTheMediaTimelineAcrossGaps() async throws {
        let h = try DeepgramHarness.make(ConformanceTarget(scenario: "ok", options: [
            "api_key: \(Self.key)", "endpointing_ms: 0", "smart_format: false"]))
        var sequence: UInt64 = 0
        let first = ToneSpeech.words([300], start: Self.start, tailMS: 100)
        let second = ToneSpeech.words([500], start: first.end + 3_000_000_000, leadMS: 100, tailMS: 40)
        h.push(.control(.userStartedSpeaking(at: first.start)))
        for frame in first.frames(sequence: &sequence) { h.push(.audio(frame)) }
        for frame in second.frames(sequence: &sequence) { h.push(.audio(frame)) }
        h.push(.control(.userStoppedSpeaking(speechEnd: second.end)))
        #expect(h.run { _ in Self.finals(h).flatMap(\.words).count == 2 })
        let words = Self.finals(h).flatMap(\.words)
        let spans = first.wordSpans + second.wordSpans
        #expect(words.map(\.word) == ["three", "five"])
        for (word, span) in zip(words, spans) {
            #expect(abs(word.start - span.start) <= 20_000_000 && abs(word.end - span.end) <= 20_000_000,
                    "\(word.word): \(word.start)…\(word.end), tone \(span.start)…\(span.end)")
        }
        let final = try #require(Self.finals(h).first)
        #expect(final.language == "en" && final.role == .user && final.confidence != nil)
        h.pipeline.cancel()
    }

    @Test func smartFormatFinalsUsePunctuatedWords() async throws {
        let h = try DeepgramHarness.make(ConformanceTarget(scenario: "ok", options: ["api_key: \(Self.key)",
                                                                                     "endpointing_ms: 0"]))
        var sequence: UInt64 = 0
        Self.push(.words([300, 500, 700], start: Self.start, tailMS: 40), h, &sequence, vad: true)
        #expect(h.run { _ in !Self.finals(h).isEmpty })
        #expect(Self.finals(h).map(\.text) == ["Three five seven."])
        #expect(Self.finals(h).first?.words.map(\.word) == ["Three", "five", "seven."])
        h.pipeline.cancel()
    }

    @Test func badOptionsAreConfigErrors() throws {
        let registry = StageRegistry()
        registry.register(DeepgramSTT.registration)
        func make(_ yaml: String, environment: [String: String] = [:]) throws -> any Stage {
            let node = try #require(try ConfigLoader.parse(yaml: "stt: \(yaml)", file: "t.yaml", environment: environment)["stt"])
            return try registry.makeStage(.stt, from: node, environment: environment)
        }
        func message(_ yaml: String) -> String {
            do {
                _ = try make(yaml)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("deepgram").contains("needs a model"))
        #expect(message("deepgram/nova-3").contains("no API key: set api_key or DEEPGRAM_API_KEY"))
        let wrongScheme = message("{ provider: deepgram/nova-3, api_key: sk-very-secret, base_url: \"https://api.deepgram.com/v1/listen\" }")
        #expect(wrongScheme.contains("is not a ws:// or wss:// URL"))
        #expect(!wrongScheme.contains("sk-very-secret"))
        #expect(message("{ provider: deepgram/nova-3, api_key: k, utterance_end_ms: 500 }").contains("below Deepgram's minimum of 1000"))
        #expect(message("{ provider: deepgram/nova-3, api_key: k, utterance_end_ms: 1000, interim_results: false }")
            .contains("needs interim_results: true"))
        #expect(message("{ provider: deepgram/nova-3, api_key: k, keepalive_ms: 20000 }").contains("keepalive_ms"))
        // A self-hosted endpoint may run without a key; the environment's key is used when set.
        #expect(throws: Never.self) { try make("{ provider: deepgram/nova-3, base_url: \"ws://dg.internal:8080/v1/listen\" }") }
        #expect(throws: Never.self) { try make("deepgram/nova-3:en", environment: ["DEEPGRAM_API_KEY": "k"]) }
    }
}
