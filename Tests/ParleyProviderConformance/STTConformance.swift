// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyTestSupport

/// A streaming STT plugin under test: its stage, its protocol test server, and the names its
/// protocol gives the messages the kit looks for in the server's records.
public struct STTConformanceSubject: Sendable {
    /// The provider's name; every failure must contain it (case-insensitively).
    public var provider: String
    public var server: ProviderTestServer
    /// The control message types the server records for "finalize now" and "end of stream"
    /// (Deepgram: `Finalize`, `CloseStream`; AssemblyAI: `ForceEndpoint`, `Terminate`).
    public var finalizeMessage: String
    public var endOfStreamMessage: String
    /// Slot options that leave the end of an utterance to the stage's finalize message (the
    /// provider's own endpointing off or very long), for the checks that must see it.
    public var manualEndpointingOptions: [String]
    /// The option the key goes in (always set to `conformanceSecretKey` by the kit).
    public var keyOption: String
    /// Builds the stage for a target: `LiveStageHarness(kind: .stt, …, input: ToneSpeech.format)`.
    public var make: @Sendable (ConformanceTarget) throws -> LiveStageHarness

    public init(provider: String, server: ProviderTestServer, finalizeMessage: String, endOfStreamMessage: String,
                manualEndpointingOptions: [String], keyOption: String = "api_key",
                make: @escaping @Sendable (ConformanceTarget) throws -> LiveStageHarness) {
        self.provider = provider
        self.server = server
        self.finalizeMessage = finalizeMessage
        self.endOfStreamMessage = endOfStreamMessage
        self.manualEndpointingOptions = manualEndpointingOptions
        self.keyOption = keyOption
        self.make = make
    }
}

/// The conformance kit's STT rules. A plugin's test target calls each check from a `@Test`;
/// a check throws `ConformanceFailure` naming the rule that broke and what was seen.
///
/// ```
///   ToneSpeech (tones = words) ─► LiveStageHarness [plugin's STT stage] ─► transcripts, failures, metrics
///                                         │ ▲
///                                         ▼ │  WebSocket: the provider's wire protocol
///                        Tests/ProviderTestServers/<provider>_server.py  ─► /_test/requests (what it received)
/// ```
///
/// The rules: transcripts stream (interims, then finals replacing them under the same segment
/// id), in order, with media times and word timings from the audio's timestamps; the provider's
/// own end of utterance sets `endsUtterance`; `userStoppedSpeaking` sends the finalize message
/// after all audio and is always answered by a final (empty if nothing was left, or the
/// connection failed) after an `stt_final` metric; `endOfStream` is held until the
/// last results are out; every fault is one non-fatal failure naming the provider and the cause,
/// and the next utterance is transcribed; interruptions never drop user transcripts; cancelling
/// closes the connection; the key never appears in a failure or a log line.
public enum STTConformance {
    /// The shared fault scenarios every STT protocol server offers (`fault_count=1` is added:
    /// the next connection of the session works).
    public static let faults: [ConformanceFault] = [
        ConformanceFault(scenario: "error_401", causes: ["401"]),
        ConformanceFault(scenario: "error_500", causes: ["500"]),
        ConformanceFault(scenario: "drop", causes: ["dropped"]),
        ConformanceFault(scenario: "malformed", causes: ["malformed"]),
        ConformanceFault(scenario: "slow_first_byte", query: "delay_ms=3000", options: ["connect_timeout_ms: 300"],
                         causes: ["timed out"]),
    ]

    static let speechStart: Nanos = 7_000_000_000

    // MARK: Checks

    /// Interims arrive while the words are spoken, then finals with the same segment ids, in
    /// order, covering every word; times are media times; the provider's own endpoint sets
    /// `endsUtterance` and reports `stt_final`.
    public static func streamsInterimAndFinalTranscripts(_ s: STTConformanceSubject) async throws {
        let log = CapturedLog()
        let h = try s.make(target(s, "ok", logger: log))
        let speech = ToneSpeech.words([300, 500, 700], start: speechStart, tailMS: 1_200)
        var sequence: UInt64 = 0
        for frame in speech.frames(sequence: &sequence) { h.push(.audio(frame)) }
        let expected = speech.expectedWords
        let done = h.run(timeout: .seconds(20)) { _ in
            words(finals(h)) == expected && finals(h).last(where: { !$0.text.isEmpty })?.endsUtterance == true
        }
        try conform(done, "streaming", "finals \(finals(h).map(\.text)) never covered \(expected) ending the utterance")
        try conform(h.failures.isEmpty, "streaming", "failures: \(h.failures)")

        let all = h.transcripts
        try conform(all.allSatisfy { $0.role == .user }, "streaming", "transcripts not all user: \(all)")
        let firstFinal = all.firstIndex(where: \.isFinal) ?? all.count
        try conform(all[..<firstFinal].contains { !$0.isFinal && !$0.text.isEmpty }, "interim results",
                    "no interim before the first final: \(all.map(\.text))")
        for (i, t) in all.enumerated() where !t.isFinal {
            let replacing = all[i...].first(where: \.isFinal)
            try conform(replacing?.segmentID == t.segmentID, "segment ids",
                        "interim \"\(t.text)\" (\(t.segmentID)) is followed by final \(replacing?.segmentID ?? "none")")
        }
        let finalIDs = finals(h).map(\.segmentID)
        try conform(Set(finalIDs).count == finalIDs.count, "segment ids", "finals share segment ids: \(finalIDs)")

        let spans = speech.wordSpans
        let timed = finals(h).flatMap(\.words)
        try conform(timed.count == spans.count, "word timings", "\(timed.count) timed words for \(spans.count) tones")
        let slack: Nanos = 30_000_000
        for (word, span) in zip(timed, spans) {
            try conform(abs(word.start - span.start) <= slack && abs(word.end - span.end) <= slack, "word timings",
                        "\"\(word.word)\" at \(word.start)…\(word.end) ns, the tone was at \(span.start)…\(span.end)")
        }
        let spoken = finals(h).filter { !$0.text.isEmpty }
        if let first = spoken.first, let last = spoken.last {
            try conform(abs(first.start - spans[0].start) <= slack && abs(last.end - spans[spans.count - 1].end) <= slack,
                        "media times", "finals span \(first.start)…\(last.end), the speech \(spans[0].start)…\(spans[spans.count - 1].end)")
        }
        try conform(h.metrics.contains { $0.name == "stt_final" && $0.nanoseconds >= 0 }, "stt_final",
                    "no stt_final metric for the provider's own endpoint: \(h.metrics)")
        try noKey(in: h, log)
        h.pipeline.cancel()
    }

    /// `userStoppedSpeaking` sends the finalize message after all the audio before it; the final
    /// it brings covers the utterance and comes after an `stt_final` metric.
    public static func finalizesOnUserStoppedSpeaking(_ s: STTConformanceSubject) async throws {
        let session = ConformanceTarget.newSession()
        let h = try s.make(target(s, "ok", session: session, options: s.manualEndpointingOptions))
        let speech = ToneSpeech.words([400, 600], start: speechStart, tailMS: 40)
        var sequence: UInt64 = 0
        speak(speech, into: h, sequence: &sequence)
        let done = h.run(timeout: .seconds(15)) { _ in words(finals(h)) == speech.expectedWords }
        try conform(done, "finalize", "no final for \(speech.expectedWords) after userStoppedSpeaking; got \(h.transcripts.map(\.text))")
        try conform(h.failures.isEmpty, "finalize", "failures: \(h.failures)")

        let outputs = h.outputs
        let finalIndex = outputs.firstIndex { if case .transcript(let t) = $0 { t.isFinal && !t.text.isEmpty } else { false } }
        let metricIndex = outputs.firstIndex { if case .control(.metric(let m)) = $0 { m.name == "stt_final" } else { false } }
        try conform(metricIndex != nil && finalIndex != nil && metricIndex! < finalIndex!, "stt_final",
                    "the stt_final metric must come before the final it measures (metric \(metricIndex.map(String.init) ?? "missing"), final \(finalIndex.map(String.init) ?? "missing"))")

        let connection = try await s.server.eventually("the \(s.finalizeMessage) message") {
            try await s.server.requests(session: session).first.flatMap { r in
                controls(r).contains { $0.type == s.finalizeMessage } ? r : nil
            }
        }
        let finalize = controls(connection).first { $0.type == s.finalizeMessage }!
        try conform(finalize.audioBytesBefore >= speech.sampleCount * 2, "finalize",
                    "\(s.finalizeMessage) was sent after \(finalize.audioBytesBefore) audio bytes; the utterance had \(speech.sampleCount * 2)")
        h.pipeline.cancel()
    }

    /// Every `userStoppedSpeaking` is answered by a final — an empty one when the provider had
    /// already finalized everything on its own — with an `stt_final` metric: the turn manager
    /// waits for that final before it ends the user's turn.
    public static func answersEveryUserStoppedSpeakingWithAFinal(_ s: STTConformanceSubject) async throws {
        let h = try s.make(target(s, "ok"))
        let speech = ToneSpeech.words([300, 500], start: speechStart, tailMS: 1_200)
        var sequence: UInt64 = 0
        for frame in speech.frames(sequence: &sequence) { h.push(.audio(frame)) }
        let endpointed = h.run(timeout: .seconds(15)) { _ in
            words(finals(h)) == speech.expectedWords && finals(h).last?.endsUtterance == true
        }
        try conform(endpointed, "finalize answer", "the provider did not end the utterance on its own: \(h.transcripts.map(\.text))")
        let before = finals(h).count
        let metrics = h.metrics.filter { $0.name == "stt_final" }.count
        h.push(.control(.userStoppedSpeaking(speechEnd: speech.wordSpans.last!.end)))
        try conform(h.run(timeout: .seconds(10)) { _ in finals(h).count > before }, "finalize answer",
                    "no final answered the userStoppedSpeaking after the provider's own end of utterance")
        try conform(words(Array(finals(h).dropFirst(before))).isEmpty, "finalize answer",
                    "the answer repeats words: \(finals(h).dropFirst(before).map(\.text))")
        try conform(h.metrics.filter { $0.name == "stt_final" }.count == metrics + 1, "stt_final",
                    "no stt_final metric for the answer: \(h.metrics)")
        try conform(h.failures.isEmpty, "finalize answer", "failures: \(h.failures)")
        h.pipeline.cancel()
    }

    /// `endOfStream` is held while the provider still owes results, and comes out after them;
    /// the server saw the end-of-stream message after all audio and closed the stream itself.
    public static func holdsEndOfStreamUntilTheLastResults(_ s: STTConformanceSubject) async throws {
        let session = ConformanceTarget.newSession()
        let h = try s.make(target(s, "ok", session: session, query: "close_delay_ms=600", options: s.manualEndpointingOptions))
        let speech = ToneSpeech.words([800, 900], start: speechStart, tailMS: 40)
        var sequence: UInt64 = 0
        for frame in speech.frames(sequence: &sequence) { h.push(.audio(frame)) }
        h.push(.control(.endOfStream))
        // The server answers the end-of-stream message only after 600 ms: nothing can be final yet.
        h.idle(for: .milliseconds(300))
        try conform(!h.endOfStreamSeen, "end of stream", "endOfStream passed before the provider's last results")
        try conform(h.run(timeout: .seconds(15)) { _ in h.endOfStreamSeen }, "end of stream",
                    "endOfStream never came out; transcripts \(h.transcripts.map(\.text)), failures \(h.failures)")
        try conform(h.failures.isEmpty, "end of stream", "failures: \(h.failures)")
        let outputs = h.outputs
        let eos = outputs.firstIndex { if case .control(.endOfStream) = $0 { true } else { false } }!
        let before = outputs[..<eos].compactMap { if case .transcript(let t) = $0, t.isFinal { t } else { nil } }
        try conform(words(before) == speech.expectedWords, "end of stream",
                    "finals before endOfStream: \(before.map(\.text)), expected \(speech.expectedWords)")
        try conform(!outputs[(eos + 1)...].contains { if case .transcript = $0 { true } else { false } }, "end of stream",
                    "transcripts after endOfStream")

        let connection = try await s.server.eventually("the stream's end") {
            try await s.server.requests(session: session).first.flatMap { $0["ended_by"] is String ? $0 : nil }
        }
        try conform(connection["ended_by"] as? String == "server", "end of stream",
                    "the client closed the socket instead of letting the provider finish: \(connection["ended_by"] ?? "nil")")
        let close = controls(connection).first { $0.type == s.endOfStreamMessage }
        try conform(close != nil && close!.audioBytesBefore >= speech.sampleCount * 2, "end of stream",
                    "\(s.endOfStreamMessage) missing or before the last audio: \(controls(connection))")
    }

    /// One fault: one non-fatal failure naming the provider and the cause, no key anywhere, the
    /// pipeline still running, and the next utterance transcribed on a new connection.
    public static func faultIsReportedAndTheNextUtteranceWorks(_ s: STTConformanceSubject,
                                                               _ fault: ConformanceFault) async throws {
        let log = CapturedLog()
        let query = (["fault_count=1"] + (fault.query.isEmpty ? [] : [fault.query])).joined(separator: "&")
        let h = try s.make(target(s, fault.scenario, query: query, options: s.manualEndpointingOptions + fault.options,
                                  logger: log))
        var sequence: UInt64 = 0
        let first = ToneSpeech.words([300, 500], start: speechStart, tailMS: 40)
        speak(first, into: h, sequence: &sequence)
        try conform(h.run(timeout: .seconds(15)) { _ in !h.failures.isEmpty }, "fault \(fault.scenario)",
                    "no failure reported; transcripts \(h.transcripts.map(\.text))")
        h.idle(for: .milliseconds(300))
        try conform(h.failures.count == 1, "fault \(fault.scenario)", "expected one failure, got \(h.failures)")
        let failure = h.failures[0]
        let text = failure.description.lowercased()
        try conform(!failure.isFatal, "fault \(fault.scenario)", "the failure is fatal: \(failure)")
        try conform(text.contains(s.provider.lowercased()), "fault \(fault.scenario)",
                    "the failure does not name \(s.provider): \(failure)")
        try conform(fault.causes.contains { text.contains($0.lowercased()) }, "fault \(fault.scenario)",
                    "the failure does not name the cause (\(fault.causes)): \(failure)")
        try conform(h.pipeline.outcome == nil, "fault \(fault.scenario)", "the pipeline ended: \(String(describing: h.pipeline.outcome))")
        // The stop of the failed utterance is still answered by a final (empty if nothing came):
        // a turn manager must not wait for a provider that is gone.
        try conform(h.run(timeout: .seconds(10)) { _ in !finals(h).isEmpty }, "fault \(fault.scenario)",
                    "no final answered the userStoppedSpeaking of the failed utterance")

        let second = ToneSpeech.words([700, 900], start: first.end + 500_000_000, tailMS: 40)
        speak(second, into: h, sequence: &sequence)
        let recovered = h.run(timeout: .seconds(15)) { _ in words(finals(h)).suffix(2) == ["seven", "nine"] }
        try conform(recovered, "fault \(fault.scenario)",
                    "the next utterance was not transcribed: \(h.transcripts.map(\.text)); failures \(h.failures)")
        try conform(h.failures.count == 1, "fault \(fault.scenario)", "more failures after recovering: \(h.failures)")
        try noKey(in: h, log)
        h.pipeline.cancel()
    }

    /// An interruption (raised before the results and again while they stream) drops no user transcript.
    public static func userTranscriptsSurviveInterruptions(_ s: STTConformanceSubject) async throws {
        let h = try s.make(target(s, "ok", options: s.manualEndpointingOptions))
        let speech = ToneSpeech.words([300, 400, 600], start: speechStart, tailMS: 40)
        var sequence: UInt64 = 0
        speak(speech, into: h, sequence: &sequence)
        h.pipeline.interrupt(.userSpeech)
        try conform(h.run(timeout: .seconds(15)) { _ in !h.transcripts.isEmpty }, "interruption", "no transcript at all")
        h.pipeline.interrupt(.userSpeech)
        try conform(h.run(timeout: .seconds(15)) { _ in words(finals(h)) == speech.expectedWords }, "interruption",
                    "finals after interruptions: \(finals(h).map(\.text)), expected \(speech.expectedWords)")
        try conform(h.failures.isEmpty, "interruption", "failures: \(h.failures)")
        h.pipeline.cancel()
    }

    /// Cancelling the pipeline closes the provider connection (the server sees the client go)
    /// and nothing comes out afterwards.
    public static func cancelClosesTheConnection(_ s: STTConformanceSubject) async throws {
        let session = ConformanceTarget.newSession()
        let h = try s.make(target(s, "ok", session: session, options: s.manualEndpointingOptions))
        let speech = ToneSpeech.words([300, 500, 700, 900], start: speechStart, tailMS: 40)
        var sequence: UInt64 = 0
        h.push(.control(.userStartedSpeaking(at: speech.start)))
        for frame in speech.frames(sequence: &sequence) { h.push(.audio(frame)) }
        try conform(h.run(timeout: .seconds(15)) { _ in !h.transcripts.isEmpty }, "cancel", "no transcript before cancelling")
        h.pipeline.cancel()
        _ = try await s.server.eventually("the client's disconnect") {
            try await s.server.disconnects(session: session) >= 1 ? true : nil
        }
        let count = h.outputs.count
        h.idle(for: .milliseconds(300))
        try conform(h.outputs.count == count, "cancel", "\(h.outputs.count - count) frames came out after cancel")
    }

    // MARK: Helpers

    static func target(_ s: STTConformanceSubject, _ scenario: String, session: String = ConformanceTarget.newSession(),
                       query: String = "", options: [String] = [], logger log: CapturedLog? = nil) -> ConformanceTarget {
        ConformanceTarget(session: session, scenario: scenario, query: query,
                          options: options + ["\(s.keyOption): \"\(conformanceSecretKey)\""], logger: log?.logger())
    }

    /// An utterance as a VAD frames it: started, the audio, stopped at the end of the last tone.
    static func speak(_ speech: ToneSpeech, into h: LiveStageHarness, sequence: inout UInt64) {
        h.push(.control(.userStartedSpeaking(at: speech.wordSpans.first?.start ?? speech.start)))
        for frame in speech.frames(sequence: &sequence) { h.push(.audio(frame)) }
        h.push(.control(.userStoppedSpeaking(speechEnd: speech.wordSpans.last?.end ?? speech.end)))
    }

    static func finals(_ h: LiveStageHarness) -> [TranscriptFrame] { h.transcripts.filter(\.isFinal) }

    /// The finals' words, lower case, punctuation gone ("Three five." → ["three", "five"]).
    static func words(_ transcripts: [TranscriptFrame]) -> [String] {
        transcripts.flatMap { $0.text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init) }
    }

    struct Control: CustomStringConvertible {
        var type: String
        var audioBytesBefore: Int
        var description: String { "\(type)@\(audioBytesBefore)" }
    }

    static func controls(_ record: [String: Any]) -> [Control] {
        (record["control"] as? [[String: Any]] ?? []).map {
            Control(type: $0["type"] as? String ?? "?", audioBytesBefore: $0["audio_bytes_before"] as? Int ?? -1)
        }
    }

    static func noKey(in h: LiveStageHarness, _ log: CapturedLog) throws {
        try conform(log.count > 0, "secrets", "nothing was logged: the factory must give the stage ConformanceTarget.logger")
        for failure in h.failures {
            try conform(!failure.description.contains(conformanceSecretKey), "secrets", "the key is in a failure: \(failure)")
        }
        try conform(!log.text.contains(conformanceSecretKey), "secrets", "the key is in the log")
    }
}
