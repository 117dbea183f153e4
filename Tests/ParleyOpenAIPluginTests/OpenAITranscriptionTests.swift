// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
@testable import ParleyOpenAIPlugins
import ParleyProviderConformance
import ParleyTestSupport
import Testing

/// The `openai/…` STT stage against Tests/ProviderTestServers/openai_audio_server.py
/// (POST /v1/audio/transcriptions, as documented at
/// https://platform.openai.com/docs/api-reference/audio/createTranscription). The test speaks
/// `SpeechTone` audio, which the server decodes back to text, so a transcript proves the
/// utterance's audio arrived whole and in order.
/// Serialized: each test spins the pipeline loop on its thread, and CI has two cores.
@Suite(.serialized)
struct OpenAITranscriptionTests {
    static let key = "sk-test-transcribe-0123456789"
    static let format = AudioFormat(sampleRate: 16_000, channels: 1, frameDurationMs: 20)
    static let frameNanos: Nanos = 20_000_000

    let server: ProviderTestServer
    init() throws { server = try ProviderTestServer.shared("openai_audio_server.py") }

    /// The stage from YAML through the registry; audio arrives at 16 kHz (no conversion), so
    /// the tone reaches the server sample for sample.
    func harness(session: String, scenario: String, query: String = "", model: String = "gpt-4o-transcribe",
                 options: [String] = []) throws -> LiveStageHarness {
        let base = server.base(session: session, scenario: scenario) + "/v1" + (query.isEmpty ? "" : "?" + query)
        let entries = ["provider: openai/\(model)", "base_url: \"\(base)\"", "api_key: \"\(Self.key)\""] + options
        let h = try LiveStageHarness(kind: .stt, yaml: "{ \(entries.joined(separator: ", ")) }",
                                     registrations: [OpenAITranscriptionStage.registration], input: Self.format)
        (h.stage as? OpenAITranscriptionStage)?.logger = log.logger()
        return h
    }

    /// What the stages of a test logged (the key must never be in it).
    let log = CapturedLog()

    func requests(_ session: String) async throws -> [[String: Any]] {
        try await server.requests(session: session)
    }

    /// Where one spoken utterance sits on the media timeline.
    struct Utterance {
        var onset: Nanos
        var speechEnd: Nanos
        var stopDecided: Nanos
    }

    /// Plays silence, `text` as tones, silence, frame by frame (the loop runs after each, as it
    /// would live), with a VAD's events: `userStartedSpeaking(at: onset)` once `vadDelayFrames`
    /// frames of speech were heard, `userStoppedSpeaking` after `hangoverFrames` of silence.
    @discardableResult
    func speak(_ text: String, into h: LiveStageHarness, from start: Nanos = 0, leadingFrames: Int = 40,
               vadDelayFrames: Int = 10, hangoverFrames: Int = 10, onsetShiftFrames: Int = 0,
               stops: Bool = true) -> Utterance {
        let n = Self.format.samplesPerFrame
        var samples = [Int16](repeating: 0, count: leadingFrames * n)
        samples += SpeechTone.encode(text, sampleRate: 16_000)
        let speechFrames = (samples.count - leadingFrames * n + n - 1) / n
        samples += [Int16](repeating: 0, count: (speechFrames + leadingFrames + hangoverFrames) * n - samples.count)
        let onset = start + Nanos(leadingFrames - onsetShiftFrames) * Self.frameNanos
        let speechEnd = start + Nanos(leadingFrames + speechFrames) * Self.frameNanos
        var decided: Nanos = 0
        for i in 0..<(samples.count / n) {
            let buffer = AudioBuffer(capacity: n)
            samples.withUnsafeBufferPointer { s in buffer.storage.update(from: s.baseAddress! + i * n, count: n) }
            h.push(.audio(AudioFrame(buffer: buffer, format: Self.format, timestamp: start + Nanos(i) * Self.frameNanos,
                                     sequence: UInt64(i))))
            h.pipeline.run()
            if i + 1 == leadingFrames + vadDelayFrames { h.push(.control(.userStartedSpeaking(at: onset))) }
            if stops, i + 1 == leadingFrames + speechFrames + hangoverFrames {
                decided = start + Nanos(i + 1) * Self.frameNanos
                h.push(.control(.userStoppedSpeaking(speechEnd: speechEnd)))
            }
            h.pipeline.run()
        }
        return Utterance(onset: onset, speechEnd: speechEnd, stopDecided: decided)
    }

    @Test func anUtteranceIsTranscribedOnceItEnds() async throws {
        let session = ConformanceTarget.newSession()
        let h = try harness(session: session, scenario: "ok", options: ["language: en", "prompt: \"Paris, France\""])
        let text = "What is the capital of France?"
        // The VAD confirms speech 200 ms (10 characters) after it began: the pre-roll keeps them.
        let u = speak(text, into: h)
        #expect(await TTSConformance.run(h, timeout: .seconds(20)) { _ in !h.transcripts.isEmpty })
        await TTSConformance.idle(h, for: .milliseconds(100))
        #expect(h.failures.isEmpty, "\(h.failures)")
        let t = try #require(h.transcripts.first)
        #expect(h.transcripts.count == 1)
        #expect(t.text == text && t.isFinal && t.role == .user && t.segmentID == "stt:openai-1")
        #expect(t.start == u.onset && t.end == u.speechEnd)
        #expect(t.language == "en" && t.words.isEmpty)
        // stt_final comes before the transcript it measures.
        let metric = h.outputs.firstIndex { if case .control(.metric(let m)) = $0, m.name == "stt_final" { true } else { false } }
        let transcript = h.outputs.firstIndex { if case .transcript = $0 { true } else { false } }
        #expect(metric != nil && transcript != nil && metric! < transcript!)

        let request = try #require(try await requests(session).first)
        #expect(request["authorization"] as? String == "Bearer \(Self.key)")
        #expect((request["content_type"] as? String)?.hasPrefix("multipart/form-data; boundary=") == true)
        #expect(request["form"] as? [String: String] == ["model": "gpt-4o-transcribe", "response_format": "json",
                                                         "language": "en", "prompt": "Paris, France"])
        let file = try #require(request["file"] as? [String: Any])
        #expect(file["sample_rate"] as? Int == 16_000 && file["channels"] as? Int == 1 && file["bits"] as? Int == 16)
        #expect(file["content_type"] as? String == "audio/wav" && file["filename"] as? String == "utterance.wav")
        // From the onset to the stop decision: speech plus the hangover.
        #expect(file["duration_ms"] as? Int == Int((u.stopDecided - u.onset) / 1_000_000))
    }

    @Test func whisperGivesWordTimesOnTheMediaTimeline() async throws {
        let session = ConformanceTarget.newSession()
        let h = try harness(session: session, scenario: "ok", model: "whisper-1")
        let u = speak("Hello big world", into: h, from: 5_000_000_000)
        #expect(await TTSConformance.run(h, timeout: .seconds(20)) { _ in !h.transcripts.isEmpty })
        let t = try #require(h.transcripts.first)
        #expect(t.text == "Hello big world")
        let ms: Nanos = 1_000_000
        #expect(t.words.map(\.word) == ["Hello", "big", "world"])
        #expect(t.words.map(\.start) == [u.onset, u.onset + 120 * ms, u.onset + 200 * ms])
        #expect(t.words.map(\.end) == [u.onset + 100 * ms, u.onset + 180 * ms, u.onset + 300 * ms])
        let form = try #require(try await requests(session).first?["form"] as? [String: Any])
        #expect(form["response_format"] as? String == "verbose_json")
        #expect(form["timestamp_granularities[]"] as? [String] == ["word"])
    }

    /// A VAD onset older than the pre-roll: the utterance starts where the pre-roll does.
    @Test func thePreRollReachesHalfASecondBack() async throws {
        let session = ConformanceTarget.newSession()
        let h = try harness(session: session, scenario: "ok")
        // 40 characters (800 ms) of speech before the VAD's start event, which claims an onset
        // 1 s before it: only the last 0.5 s (25 characters) is still there.
        let text = "abcdefghijklmnopqrstuvwxyz0123456789ABCD and the rest"
        let u = speak(text, into: h, leadingFrames: 60, vadDelayFrames: 40, onsetShiftFrames: 10)
        #expect(await TTSConformance.run(h, timeout: .seconds(20)) { _ in !h.transcripts.isEmpty })
        let t = try #require(h.transcripts.first)
        #expect(t.text == String(text.dropFirst(15)))
        #expect(t.start == u.onset + 25 * Self.frameNanos)
    }

    @Test(arguments: [("error_401", "HTTP 401: Incorrect API key provided (test fault). (invalid_api_key)"),
                      ("error_500", "HTTP 500: The server had an error while processing your request (test fault). (server_error)"),
                      ("malformed", "answered with malformed JSON: \"{\"text\": \"cut off\""),
                      ("drop", "request failed"),
                      ("slow_first_byte", "no answer within 500 ms")])
    func faultsAreOneFailureAndTheNextUtteranceWorks(_ scenario: String, _ message: String) async throws {
        let h = try harness(session: ConformanceTarget.newSession(), scenario: scenario, query: "fault_count=1",
                            options: ["timeout_ms: 500"])
        speak("first try", into: h)
        #expect(await TTSConformance.run(h, timeout: .seconds(20)) { _ in !h.failures.isEmpty })
        await TTSConformance.idle(h, for: .milliseconds(200))
        let f = try #require(h.failures.first)
        #expect(h.failures.count == 1)
        #expect(!f.isFatal && f.stage == "stt:openai")
        #expect(f.message.hasPrefix("OpenAI transcription: " + message), "\(f.message)")
        #expect(!f.message.contains(Self.key) && !log.text.contains(Self.key) && log.count > 0)
        #expect(h.transcripts.isEmpty)
        speak("second try", into: h, from: 10_000_000_000)
        #expect(await TTSConformance.run(h, timeout: .seconds(20)) { _ in !h.transcripts.isEmpty })
        #expect(h.transcripts.map(\.text) == ["second try"])
        #expect(h.failures.count == 1)
    }

    @Test func endOfStreamWaitsForTheTranscripts() async throws {
        let session = ConformanceTarget.newSession()
        let h = try harness(session: session, scenario: "ok")
        speak("the first utterance", into: h)
        speak("the second one", into: h, from: 3_000_000_000, stops: false)
        // The second utterance is still open when the stream ends: it is sent then.
        h.push(.control(.endOfStream))
        #expect(await TTSConformance.run(h, timeout: .seconds(20)) { _ in h.endOfStreamSeen })
        let order = h.outputs.compactMap { f -> String? in
            switch f {
            case .transcript(let t): return t.text
            case .control(.endOfStream): return "EOS"
            default: return nil
            }
        }
        #expect(order == ["the first utterance", "the second one", "EOS"])
    }

    @Test func endOfStreamPassesWhenNothingIsPending() async throws {
        let h = try harness(session: ConformanceTarget.newSession(), scenario: "ok")
        h.push(.control(.endOfStream))
        #expect(await TTSConformance.run(h, timeout: .seconds(10)) { _ in h.endOfStreamSeen })
    }
}
