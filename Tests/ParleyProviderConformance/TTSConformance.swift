// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyTestSupport

/// A cloud TTS plugin under test: its stage and its protocol test server.
public struct TTSConformanceSubject: Sendable {
    /// The provider's name; every failure must contain it (case-insensitively).
    public var provider: String
    public var server: ProviderTestServer
    /// The option the key goes in (always set to `conformanceSecretKey` by the kit).
    public var keyOption: String
    /// Builds the stage for a target: `LiveStageHarness(kind: .tts, …)` with `base_url` from the
    /// target's session, scenario and query, its options and environment, logging to its logger.
    public var make: @Sendable (ConformanceTarget) throws -> LiveStageHarness

    public init(provider: String, server: ProviderTestServer, keyOption: String = "api_key",
                make: @escaping @Sendable (ConformanceTarget) throws -> LiveStageHarness) {
        self.provider = provider
        self.server = server
        self.keyOption = keyOption
        self.make = make
    }
}

/// The conformance kit's TTS rules. A plugin's test target calls each check from a `@Test`; a
/// check throws `ConformanceFailure` naming the rule that broke and what was seen.
///
/// ```
///   agent TextFrames (+ LLM reply brackets) ─► LiveStageHarness [plugin's TTS stage] ─► frames
///                                                      │ ▲                               │
///                                                      ▼ │  the provider's wire protocol │ SpokenTexts + SpeechTone:
///                        Tests/ProviderTestServers/<provider>_server.py                  ▼ which audio followed which text
/// ```
///
/// The rules: each text comes out framed — `ttfb` metric, `agentStartedSpeaking`, the agent
/// `TextFrame` itself, all of its audio and only its audio, `agentStoppedSpeaking` — in the
/// order the texts arrived, consecutive on the media timeline; the first audio of a text comes
/// out while the provider is still producing the rest; an interruption tells the provider (a
/// cancel message or a closed connection) and nothing of the cut reply comes out after it,
/// with speaking state still paired, and the next reply is spoken normally; every fault is one
/// non-fatal failure naming the provider and the cause, and the next text is spoken;
/// `endOfStream` waits for the queued texts; the key never appears in a failure or a log line.
///
/// What the TTS protocol servers (cartesia_server.py, elevenlabs_server.py, openai_audio_server.py)
/// share for it: their audio is `SpeechTone` (20 ms of tone per character, decodable back to the
/// text); the scenarios `ok`, `hold` (first chunk, then nothing until `GET /_test/release`),
/// `slow_first_byte`, `error_401`, `error_500`, `drop`, `malformed`, with `fault_count=N`;
/// `/_test/requests` (a record per connection or request; `cancels` lists cancelled contexts)
/// and `/_test/disconnects`.
public enum TTSConformance {
    /// The shared fault scenarios every TTS protocol server offers, for a stage whose first-byte
    /// timeout is the option `firstByteTimeoutOption` (`fault_count=1`: the next request works).
    public static func faults(firstByteTimeoutOption: String) -> [ConformanceFault] {
        [
            ConformanceFault(scenario: "error_401", query: "fault_count=1", causes: ["401"]),
            ConformanceFault(scenario: "error_500", query: "fault_count=1", causes: ["500"]),
            ConformanceFault(scenario: "drop", query: "fault_count=1", causes: ["dropped"]),
            ConformanceFault(scenario: "malformed", query: "fault_count=1", causes: ["malformed"]),
            ConformanceFault(scenario: "slow_first_byte", query: "fault_count=1&delay_ms=3000",
                             options: ["\(firstByteTimeoutOption): 500"], causes: ["within 500 ms"]),
        ]
    }

    /// `faults(firstByteTimeoutOption: "timeout_ms")`, for `@Test(arguments:)`.
    public static let faults = faults(firstByteTimeoutOption: "timeout_ms")

    static let patience: Duration = .seconds(20)

    // MARK: Checks

    /// One LLM reply of three sentences, then a text on its own: each text comes out framed,
    /// in order, with exactly its own audio; LLM frames and user text pass through.
    public static func speaksEachTextInOrder(_ s: TTSConformanceSubject) async throws {
        let log = CapturedLog()
        let h = try s.make(target(s, "ok", logger: log))
        let reply = ["Hello there.", "How are you today?", "Fine."]
        h.push(.llm(.responseStarted(responseID: "r1")))
        for text in reply { h.push(.text(TextFrame(text: text, role: .agent, replyID: "reply-1"))) }
        h.push(.llm(.responseEnded(responseID: "r1", finishReason: "stop")))
        h.push(.text(TextFrame(text: "typed by the user", role: .user)))
        try await runUntil(h, "all three sentences spoken") { SpokenTexts($0).texts.count >= 3 }
        h.push(.text(TextFrame(text: "Good bye.", role: .agent)))
        try await runUntil(h, "the text on its own spoken") { SpokenTexts($0).texts.count >= 4 }
        await idle(h, for: .milliseconds(200))

        let spoken = SpokenTexts(h.outputs)
        try conform(spoken.violations.isEmpty, "framing", spoken.violations.joined(separator: "; "))
        try conform(spoken.texts == reply + ["Good bye."], "order", "spoke \(spoken.texts)")
        try conform(spoken.spoken.prefix(3).allSatisfy { $0.replyID == "reply-1" }, "the text itself comes out",
                    "reply ids \(spoken.spoken.map(\.replyID))")
        for (i, t) in spoken.spoken.enumerated() {
            let heard = t.decoded.trimmingCharacters(in: .whitespaces)
            try conform(heard == t.text, "audio belongs to its text",
                        "the audio after \"\(t.text)\" decodes as \"\(heard)\"")
            if i > 0, let first = t.frames.first, let end = spoken.spoken[i - 1].frames.last?.endTimestamp {
                try conform(first.timestamp >= end - 1_000, "media timeline",
                            "\"\(t.text)\" starts at \(first.timestamp) ns, before the text before it ended (\(end) ns)")
            }
        }
        try conform(h.failures.isEmpty, "no failures", "\(h.failures)")
        // ttfb: one per text, positive, before its agentStartedSpeaking.
        let ttfb = h.metrics.filter { $0.name == "ttfb" }
        try conform(ttfb.count == 4 && ttfb.allSatisfy { $0.nanoseconds > 0 }, "ttfb metric",
                    "expected 4 positive ttfb metrics, saw \(ttfb)")
        for t in spoken.spoken {
            let before = h.outputs[..<t.startIndex].reversed().prefix { frame in
                if case .control(.agentStoppedSpeaking) = frame { return false }
                return true
            }
            try conform(before.contains { if case .control(.metric(let m)) = $0, m.name == "ttfb" { true } else { false } },
                        "ttfb metric", "no ttfb metric before \"\(t.text)\" started")
        }
        let llm = h.outputs.compactMap { if case .llm(let f) = $0 { f } else { nil } }
        try conform(llm.count == 2, "LLM frames pass through", "saw \(llm)")
        try conform(h.outputs.contains { if case .text(let x) = $0, x.role == .user { true } else { false } },
                    "user text passes through", "the user's text did not come out")
        try noKey(in: h, log)
    }

    /// The first audio of a text comes out while the provider is still producing the rest
    /// (the server holds back everything after its first chunk until released).
    public static func streamsBeforeTheTextIsSynthesized(_ s: TTSConformanceSubject) async throws {
        let session = ConformanceTarget.newSession()
        let h = try s.make(target(s, "hold", session: session, query: "fault_count=1"))
        let text = "This sentence is long enough to need several chunks of audio."
        h.push(.text(TextFrame(text: text, role: .agent)))
        try await runUntil(h, "first audio") { $0.contains(where: isAgentAudio) }
        let early = SpokenTexts(h.outputs)
        try conform(early.stopped == 0, "streaming", "the text was finished before the server sent its second chunk")
        try conform(early.spoken.first?.text == text, "text before its audio", "the text did not precede its audio")
        try await release(s, session)
        try await runUntil(h, "the rest of the audio") { SpokenTexts($0).stopped >= 1 }
        let heard = SpokenTexts(h.outputs).spoken.first?.decoded.trimmingCharacters(in: .whitespaces)
        try conform(heard == text, "all audio", "decoded \"\(heard ?? "")\"")
    }

    /// An interruption mid-reply: the provider is told (a cancel message, or the connection
    /// closed), nothing of the cut reply comes out afterwards even when the provider goes on
    /// sending, speaking state stays paired, and the next reply is spoken normally.
    public static func interruptionCancelsTheProvider(_ s: TTSConformanceSubject) async throws {
        let session = ConformanceTarget.newSession()
        let log = CapturedLog()
        let h = try s.make(target(s, "hold", session: session, query: "fault_count=1", logger: log))
        h.push(.llm(.responseStarted(responseID: "r1")))
        h.push(.text(TextFrame(text: "This reply will be cut off in the middle.", role: .agent)))
        h.push(.text(TextFrame(text: "Nobody hears this sentence.", role: .agent)))
        try await runUntil(h, "first audio of the reply") { $0.contains(where: isAgentAudio) }
        h.pipeline.interrupt(.userSpeech)
        await idle(h, for: .milliseconds(100))
        let cut = h.outputs.count
        // Let the server go on: a client that didn't stop would now receive the rest.
        try await release(s, session)
        await idle(h, for: .milliseconds(800))
        let stale = h.outputs[cut...].filter {
            if case .audio(let a) = $0 { return a.role == .agent }
            if case .text(let x) = $0 { return x.role == .agent }
            return false
        }
        try conform(stale.isEmpty, "nothing stale after an interruption", "\(stale.count) agent frames came out after it")
        let spoken = SpokenTexts(h.outputs)
        try conform(spoken.isBalanced, "speaking state paired",
                    "\(spoken.started) agentStartedSpeaking, \(spoken.stopped) agentStoppedSpeaking")
        _ = try await s.server.eventually("a cancel message or the client's disconnect") { () async throws -> Bool? in
            let cancels = try await s.server.requests(session: session).flatMap { $0["cancels"] as? [Any] ?? [] }
            if !cancels.isEmpty { return true }
            return try await s.server.disconnects(session: session) >= 1 ? true : nil
        }

        h.push(.text(TextFrame(text: "Next one.", role: .agent)))
        try await runUntil(h, "the next reply") { SpokenTexts($0).texts.contains("Next one.") }
        await idle(h, for: .milliseconds(200))
        let next = SpokenTexts(h.outputs)
        try conform(next.violations.isEmpty, "framing", next.violations.joined(separator: "; "))
        let last = next.spoken.last
        try conform(last?.text == "Next one." && last?.decoded.trimmingCharacters(in: .whitespaces) == "Next one.",
                    "the next reply works", "last spoken \(String(describing: last?.text)) decoded \(last?.decoded ?? "")")
        try conform(h.failures.isEmpty, "no failures", "\(h.failures)")
        try noKey(in: h, log)
    }

    /// A fault: exactly one non-fatal failure naming the provider and the cause, without the
    /// key (in failures and logs); speaking state stays paired; the next text is spoken.
    public static func faultIsReportedAndTheNextTextIsSpoken(_ s: TTSConformanceSubject,
                                                             _ fault: ConformanceFault) async throws {
        let log = CapturedLog()
        let h = try s.make(target(s, fault.scenario, query: fault.query, options: fault.options, logger: log))
        h.push(.text(TextFrame(text: "Hello there.", role: .agent)))
        try await runUntil(h, "a failure for \(fault.scenario)") { frames in
            frames.contains { if case .control(.error) = $0 { true } else { false } }
        }
        await idle(h, for: .milliseconds(300))
        let failures = h.failures
        try conform(failures.count == 1, "one failure per fault", "\(failures)")
        let f = failures[0]
        try conform(!f.isFatal, "non-fatal", "\(f)")
        try conform(f.description.lowercased().contains(s.provider.lowercased()), "failure names the provider", "\(f)")
        try conform(fault.causes.contains { f.message.lowercased().contains($0.lowercased()) }, "failure names the cause",
                    "\"\(f.message)\" has none of \(fault.causes)")
        try conform(SpokenTexts(h.outputs).isBalanced, "speaking state paired", "after \(fault.scenario)")

        h.push(.text(TextFrame(text: "Second try.", role: .agent)))
        try await runUntil(h, "the text after the fault") { SpokenTexts($0).texts.contains("Second try.") }
        let spoken = SpokenTexts(h.outputs)
        try conform(spoken.violations.isEmpty, "framing", spoken.violations.joined(separator: "; "))
        try conform(spoken.spoken.last?.decoded.trimmingCharacters(in: .whitespaces) == "Second try.",
                    "the next request works", "decoded \(spoken.spoken.last?.decoded ?? "")")
        try conform(h.failures.count == 1, "no failure after recovery", "\(h.failures)")
        try noKey(in: h, log)
    }

    /// End of stream waits for the texts queued before it and comes out after their last audio
    /// and agentStoppedSpeaking; with nothing queued it passes at once.
    public static func holdsEndOfStreamUntilSpoken(_ s: TTSConformanceSubject) async throws {
        let session = ConformanceTarget.newSession()
        let h = try s.make(target(s, "hold", session: session, query: "fault_count=1"))
        h.push(.text(TextFrame(text: "Wait for me to finish.", role: .agent)))
        h.push(.control(.endOfStream))
        try await runUntil(h, "first audio") { $0.contains(where: isAgentAudio) }
        await idle(h, for: .milliseconds(300))
        try conform(!h.endOfStreamSeen, "end of stream held", "end of stream came out before the text was spoken")
        try await release(s, session)
        try await runUntil(h, "end of stream") { frames in
            frames.contains { if case .control(.endOfStream) = $0 { true } else { false } }
        }
        let eos = h.outputs.firstIndex { if case .control(.endOfStream) = $0 { true } else { false } }!
        let spoken = SpokenTexts(h.outputs)
        try conform(spoken.spoken.first?.stopIndex.map { $0 < eos } == true, "end of stream after the speech",
                    "end of stream at #\(eos), speech \(spoken.spoken.map { ($0.startIndex, $0.stopIndex ?? -1) })")
        try conform(spoken.spoken.first?.decoded.trimmingCharacters(in: .whitespaces) == "Wait for me to finish.",
                    "all audio before end of stream", "decoded \(spoken.spoken.first?.decoded ?? "")")

        let quiet = try s.make(target(s, "ok"))
        quiet.push(.control(.endOfStream))
        try await runUntil(quiet, "end of stream with nothing queued") { frames in
            frames.contains { if case .control(.endOfStream) = $0 { true } else { false } }
        }
    }

    // MARK: Running the loop

    /// Turns the loop until `done(outputs)` or `timeout`, like `LiveStageHarness.run(until:)`,
    /// but sleeping between turns with `Task.sleep`, so a test never holds a thread of the
    /// cooperative pool that other async work in the process may need.
    public static func run(_ h: LiveStageHarness, timeout: Duration = .seconds(20),
                           until done: ([Frame]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            h.pipeline.run()
            if done(h.pipeline.outputs) { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Turns the loop for `duration` whatever happens (to see that nothing more comes out).
    public static func idle(_ h: LiveStageHarness, for duration: Duration) async {
        _ = await run(h, timeout: duration) { _ in false }
    }

    // MARK: Helpers

    static func target(_ s: TTSConformanceSubject, _ scenario: String, session: String = ConformanceTarget.newSession(),
                       query: String = "", options: [String] = [], logger log: CapturedLog? = nil) -> ConformanceTarget {
        ConformanceTarget(session: session, scenario: scenario, query: query,
                          options: options + ["\(s.keyOption): \"\(conformanceSecretKey)\""], logger: log?.logger())
    }

    static func runUntil(_ h: LiveStageHarness, _ what: String, _ done: ([Frame]) -> Bool) async throws {
        guard await run(h, timeout: patience, until: done) else {
            throw ConformanceFailure("timeout", "\(what) did not happen within \(patience); outputs: " + describe(h.outputs))
        }
    }

    static func release(_ s: TTSConformanceSubject, _ session: String) async throws {
        _ = try await s.server.admin("/_test/release?session=\(session)")
    }

    static func isAgentAudio(_ frame: Frame) -> Bool {
        if case .audio(let a) = frame { return a.role == .agent }
        return false
    }

    static func noKey(in h: LiveStageHarness, _ log: CapturedLog) throws {
        try conform(log.count > 0, "secrets", "nothing was logged: the factory must give the stage ConformanceTarget.logger")
        for failure in h.failures {
            try conform(!failure.description.contains(conformanceSecretKey), "secrets", "the key is in a failure: \(failure)")
        }
        try conform(!log.text.contains(conformanceSecretKey), "secrets", "the key is in the log")
    }

    /// A short summary of output frames for failure messages.
    public static func describe(_ frames: [Frame]) -> String {
        var parts: [String] = []
        var audio = 0
        func flushAudio() {
            if audio > 0 { parts.append("audio×\(audio)") }
            audio = 0
        }
        for f in frames {
            switch f {
            case .audio: audio += 1
            case .text(let t): flushAudio(); parts.append("text(\(t.role == .agent ? "agent" : "user"): \(t.text))")
            case .control(let c):
                flushAudio()
                switch c {
                case .error(let e): parts.append("error(\(e.message))")
                case .metric(let m): parts.append("metric(\(m.name))")
                default: parts.append(c.name)
                }
            case .llm: flushAudio(); parts.append("llm")
            case .transcript(let t): flushAudio(); parts.append("transcript(\(t.text))")
            case .encoded: flushAudio(); parts.append("encoded")
            }
        }
        flushAudio()
        return parts.joined(separator: " ")
    }
}
