// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyTestSupport

/// An LLM plugin under test, against a chat-completions protocol test server whose `ok`
/// scenario answers "Echo: <last user message>" in several deltas and whose `hang` scenario
/// sends one delta and then nothing until the client goes (Tests/ProviderTestServers/openai_server.py).
public struct LLMConformanceSubject: Sendable {
    /// The provider's name; every failure must contain it (case-insensitively), in its stage
    /// name or its message.
    public var provider: String
    public var server: ProviderTestServer
    /// The option that bounds the wait for the first byte, in ms (`timeout_ms` for `openai/…`).
    public var firstByteTimeoutOption: String
    /// The option the key goes in (always set to `conformanceSecretKey` by the kit).
    public var keyOption: String
    /// Builds the stage for a target: `LiveStageHarness(kind: .llm, …)`.
    public var make: @Sendable (ConformanceTarget) throws -> LiveStageHarness

    public init(provider: String, server: ProviderTestServer, firstByteTimeoutOption: String = "timeout_ms",
                keyOption: String = "api_key", make: @escaping @Sendable (ConformanceTarget) throws -> LiveStageHarness) {
        self.provider = provider
        self.server = server
        self.firstByteTimeoutOption = firstByteTimeoutOption
        self.keyOption = keyOption
        self.make = make
    }
}

/// The conformance kit's LLM rules, as `STTConformance` has them for STT: a reply streams as
/// `responseStarted`, several `textDelta`s in order, `responseEnded`, with its sentences as agent
/// text and an `llm_ttft` metric first; an interruption cancels the request (the server sees the
/// client go) and nothing of the cut reply leaks; every fault is one non-fatal failure naming the
/// provider and the cause, the response still ends (`"error"`) and the next turn is answered;
/// `endOfStream` waits for the reply in flight; the key never appears in a failure.
public enum LLMConformance {
    public static func faults(firstByteTimeoutOption: String) -> [ConformanceFault] {
        [
            ConformanceFault(scenario: "error_401", causes: ["401"]),
            ConformanceFault(scenario: "error_500", causes: ["500"]),
            ConformanceFault(scenario: "drop", causes: ["dropped", "connection"]),
            ConformanceFault(scenario: "malformed", causes: ["malformed"]),
            ConformanceFault(scenario: "slow_first_byte", query: "delay_ms=3000",
                             options: ["\(firstByteTimeoutOption): 300"], causes: ["first byte", "timed out"]),
        ]
    }

    /// The reply arrives in several deltas, in order, bracketed, with `llm_ttft` before the first
    /// delta and the sentences as agent text.
    public static func streamsTheReplyInOrder(_ s: LLMConformanceSubject) async throws {
        let h = try s.make(target(s, "ok"))
        let prompt = "héllo wörld, how are you today?"
        say(prompt, into: h)
        try conform(h.run(timeout: .seconds(15)) { ended($0).count == 1 }, "streaming", "no responseEnded: \(llm(h))")
        try conform(h.failures.isEmpty, "streaming", "failures: \(h.failures)")
        let frames = llm(h)
        guard case .responseStarted(let id)? = frames.first, case .responseEnded(id, let reason)? = frames.last else {
            throw ConformanceFailure("streaming", "not bracketed by responseStarted/responseEnded: \(frames)")
        }
        try conform(reason != "error", "streaming", "finish reason \(reason)")
        let deltas = frames.compactMap { if case .textDelta(id, let t) = $0 { t } else { nil } }
        try conform(deltas.count >= 2, "streaming", "the reply came in \(deltas.count) delta(s), not streamed")
        let expected = "Echo: " + prompt
        try conform(deltas.joined() == expected, "streaming", "deltas joined: \"\(deltas.joined())\", expected \"\(expected)\"")
        try conform(h.agentText.joined(separator: " ") == expected, "sentences",
                    "agent text \(h.agentText) does not spell the reply")
        let outputs = h.outputs
        let ttft = outputs.firstIndex { if case .control(.metric(let m)) = $0 { m.name == "llm_ttft" } else { false } }
        let firstDelta = outputs.firstIndex { if case .llm(.textDelta) = $0 { true } else { false } }
        try conform(ttft != nil && firstDelta != nil && ttft! < firstDelta!, "llm_ttft",
                    "the llm_ttft metric must come before the first delta (metric \(ttft.map(String.init) ?? "missing"))")
        h.pipeline.cancel()
    }

    /// An interruption mid-reply cancels the request: the server sees the client go, no
    /// failure is reported for it, and nothing of the cut reply comes out afterwards.
    public static func interruptionCancelsTheRequest(_ s: LLMConformanceSubject) async throws {
        let session = ConformanceTarget.newSession()
        let h = try s.make(target(s, "hang", session: session))
        say("hold on", into: h)
        try conform(h.run(timeout: .seconds(15)) { _ in llm(h).contains { if case .textDelta = $0 { true } else { false } } },
                    "interruption", "no first delta: \(llm(h))")
        h.pipeline.interrupt(.userSpeech)
        h.pipeline.run()
        _ = try await s.server.eventually("the client's disconnect") {
            try await s.server.disconnects(session: session) >= 1 ? true : nil
        }
        let count = llm(h).count
        let text = h.agentText.count
        h.idle(for: .milliseconds(300))
        try conform(llm(h).count == count && h.agentText.count == text, "interruption",
                    "output of the cut reply after the interruption: \(llm(h).dropFirst(count))")
        try conform(h.failures.isEmpty, "interruption", "a cancelled reply is not a failure: \(h.failures)")
        h.pipeline.cancel()
    }

    /// One fault: one non-fatal failure naming the provider and the cause (never the key), the
    /// response ended with "error", the pipeline still running, and the next turn answered.
    public static func faultIsReportedAndTheTurnCloses(_ s: LLMConformanceSubject, _ fault: ConformanceFault) async throws {
        let h = try s.make(target(s, fault.scenario, query: fault.query, options: fault.options))
        say("hello", into: h)
        try conform(h.run(timeout: .seconds(15)) { ended($0).count == 1 }, "fault \(fault.scenario)",
                    "the response never ended: \(llm(h)), failures \(h.failures)")
        h.idle(for: .milliseconds(200))
        try conform(h.failures.count == 1, "fault \(fault.scenario)", "expected one failure, got \(h.failures)")
        let failure = h.failures[0]
        let text = failure.description.lowercased()
        try conform(!failure.isFatal, "fault \(fault.scenario)", "the failure is fatal: \(failure)")
        try conform(text.contains(s.provider.lowercased()), "fault \(fault.scenario)", "the failure does not name \(s.provider): \(failure)")
        try conform(fault.causes.contains { text.contains($0.lowercased()) }, "fault \(fault.scenario)",
                    "the failure does not name the cause (\(fault.causes)): \(failure)")
        try conform(!failure.description.contains(conformanceSecretKey), "secrets", "the key is in a failure: \(failure)")
        try conform(ended(h.outputs).map(\.reason) == ["error"], "fault \(fault.scenario)",
                    "the response must end with \"error\": \(llm(h))")
        try conform(h.pipeline.outcome == nil, "fault \(fault.scenario)", "the pipeline ended")
        // The next turn gets its own response (this server faults every request of the scenario).
        say("again", into: h)
        try conform(h.run(timeout: .seconds(15)) { ended($0).count == 2 }, "fault \(fault.scenario)",
                    "the next turn was not answered: \(llm(h))")
        h.pipeline.cancel()
    }

    /// `endOfStream` waits for the reply in flight and follows its end.
    public static func holdsEndOfStreamUntilTheReplyEnds(_ s: LLMConformanceSubject) async throws {
        let h = try s.make(target(s, "slow_first_byte", query: "delay_ms=600"))
        say("bye", into: h)
        h.push(.control(.endOfStream))
        h.idle(for: .milliseconds(300))
        try conform(!h.endOfStreamSeen, "end of stream", "endOfStream passed a reply that had not started yet")
        try conform(h.run(timeout: .seconds(15)) { _ in h.endOfStreamSeen }, "end of stream", "endOfStream never came out")
        let outputs = h.outputs
        let end = outputs.lastIndex { if case .llm(.responseEnded) = $0 { true } else { false } }
        let eos = outputs.lastIndex { if case .control(.endOfStream) = $0 { true } else { false } }
        try conform(end != nil && eos != nil && end! < eos!, "end of stream", "endOfStream before the reply ended")
        try conform(h.failures.isEmpty, "end of stream", "failures: \(h.failures)")
    }

    // MARK: Helpers

    static func target(_ s: LLMConformanceSubject, _ scenario: String, session: String = ConformanceTarget.newSession(),
                       query: String = "", options: [String] = []) -> ConformanceTarget {
        ConformanceTarget(session: session, scenario: scenario, query: query,
                          options: options + ["\(s.keyOption): \"\(conformanceSecretKey)\""])
    }

    /// A final user transcript, as an STT stage emits it.
    static func say(_ text: String, into h: LiveStageHarness) {
        h.push(.transcript(TranscriptFrame(text: text, isFinal: true, segmentID: "conformance-\(UUID().uuidString)",
                                           role: .user, endsUtterance: true)))
    }

    static func llm(_ h: LiveStageHarness) -> [LLMFrame] {
        h.outputs.compactMap { if case .llm(let f) = $0 { f } else { nil } }
    }

    static func ended(_ outputs: [Frame]) -> [(id: String, reason: String)] {
        outputs.compactMap { if case .llm(.responseEnded(let id, let reason)) = $0 { (id, reason) } else { nil } }
    }
}
