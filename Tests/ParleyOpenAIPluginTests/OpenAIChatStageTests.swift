// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
@testable import ParleyOpenAIPlugins
import Testing

/// The real `openai/…` stage against Tests/ProviderTestServers/openai_server.py.
/// Serialized: each test spins the pipeline loop on its thread, and CI has two cores.
@Suite(.serialized)
struct OpenAIChatStageTests {
    @Test func streamedReplyIsTheScriptedOne() async throws {
        let h = try ChatStageHarness(scenario: "ok")
        h.say("héllo wörld, ünïcode ✓")
        #expect(h.runUntilEnded())
        let expected = "Echo: héllo wörld, ünïcode ✓"
        #expect(h.replyText() == expected)
        #expect(h.failures.isEmpty)
        guard case .responseStarted(let id)? = h.llm.first, case .responseEnded(id, "stop")? = h.llm.last else {
            Issue.record("response not bracketed: \(h.llm)")
            return
        }
        #expect(id == "llm:openai-1")
        // The transcript passed through before the reply.
        let data = h.pipeline.outputs.filter { if case .control = $0 { false } else { true } }
        guard case .transcript? = data.first else { Issue.record("transcript not first: \(data)"); return }
        let ttft = try #require(h.metrics.first { $0.name == "llm_ttft" })
        #expect(ttft.stage == "llm:openai" && ttft.nanoseconds > 0)
        // Sentences for TTS: the whole reply, flushed at the end.
        #expect(h.agentText == [expected])

        let requests = try await h.server.requests(session: h.session)
        let body = try #require(requests.first?["body"] as? [String: Any])
        #expect(body["model"] as? String == "gpt-test")
        #expect(body["stream"] as? Bool == true)
        #expect(body["temperature"] == nil && body["max_tokens"] == nil)
        let messages = try #require(body["messages"] as? [[String: String]])
        #expect(messages == [["role": "system", "content": OpenAIChatStage.defaultInstructions],
                             ["role": "user", "content": "héllo wörld, ünïcode ✓"]])
        // No key configured (a local server): no Authorization header.
        #expect(requests.first?["authorization"] is NSNull)
    }

    @Test func historyCarriesAcrossTurns() async throws {
        let h = try ChatStageHarness(scenario: "ok", options: [
            "instructions: \"Be terse.\"", "temperature: 0.2", "max_tokens: 64", "max_history_turns: 2",
        ], environment: ["OPENAI_API_KEY": "sk-test-secret"])
        h.say("first")
        #expect(h.runUntilEnded(count: 1))
        h.pipeline.push(.text(TextFrame(text: "second", role: .user)))
        #expect(h.runUntilEnded(count: 2))
        h.say("third")
        #expect(h.runUntilEnded(count: 3))
        #expect(h.failures.isEmpty)
        #expect(h.finishReasons == ["stop", "stop", "stop"])

        let requests = try await h.server.requests(session: h.session)
        #expect(requests.count == 3)
        let second = try #require(requests.dropFirst().first?["body"] as? [String: Any])
        #expect(second["messages"] as? [[String: String]] == [
            ["role": "system", "content": "Be terse."],
            ["role": "user", "content": "first"],
            ["role": "assistant", "content": "Echo: first"],
            ["role": "user", "content": "second"],
        ])
        #expect(second["temperature"] as? Double == 0.2)
        #expect(second["max_tokens"] as? Int == 64)
        // max_history_turns: 2 → the first turn is gone by the third request; the system message stays.
        let third = try #require(requests.last?["body"] as? [String: Any])
        #expect(third["messages"] as? [[String: String]] == [
            ["role": "system", "content": "Be terse."],
            ["role": "user", "content": "second"],
            ["role": "assistant", "content": "Echo: second"],
            ["role": "user", "content": "third"],
        ])
        // The key came from OPENAI_API_KEY.
        #expect(requests.first?["authorization"] as? String == "Bearer sk-test-secret")
    }

    @Test func toolCallDeltasAreAccumulated() async throws {
        let tools = #"[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]"#
        let h = try ChatStageHarness(scenario: "tool", options: ["tools_json: '\(tools)'"])
        h.say("weather and time in Paris?")
        #expect(h.runUntilEnded())
        #expect(h.failures.isEmpty)
        let calls = h.llm.compactMap { if case .toolCall(_, let c) = $0 { c } else { nil } }
        #expect(calls == [
            ToolCall(id: "call_w1", name: "get_weather", argumentsJSON: #"{"city": "Paris", "unit": "celsius"}"#),
            ToolCall(id: "call_t2", name: "get_time", argumentsJSON: #"{"zone": "Europe/Paris"}"#),
        ])
        #expect(h.replyText() == "Checking.")
        #expect(h.finishReasons == ["tool_calls"])
        // The tool calls come after the text and before the end.
        guard case .responseEnded? = h.llm.last, case .toolCall? = h.llm.dropLast().last else {
            Issue.record("order: \(h.llm)")
            return
        }
        let body = try #require(try await h.server.requests(session: h.session).first?["body"] as? [String: Any])
        let sent = try #require(body["tools"] as? [[String: Any]])
        #expect((sent.first?["function"] as? [String: Any])?["name"] as? String == "get_weather")
    }

    struct Fault: Sendable, CustomTestStringConvertible {
        var scenario: String
        var query = ""
        var options: [String] = []
        var message: String
        var testDescription: String { scenario }
    }

    static let faults: [Fault] = [
        Fault(scenario: "error_500",
              message: "HTTP 500: The server had an error while processing your request. Sorry about that!"),
        Fault(scenario: "error_401", message: "HTTP 401: Incorrect API key provided. (invalid_api_key)"),
        Fault(scenario: "malformed", message: #"malformed JSON in stream event 3: "{"id": "chatcmpl-test1", "choices": [{"delta": {"content": "x""#),
        Fault(scenario: "drop", message: "stream dropped after 3 events"),
        Fault(scenario: "not_sse", message: #"stream ended after 0 events without a finish_reason or [DONE]; the body was not an event stream: "{"id": "chatcmpl-"#),
        Fault(scenario: "stream_error", message: "provider error mid-stream: The model overloaded mid-stream. (overloaded)"),
        Fault(scenario: "slow_first_byte", query: "delay_ms=3000", options: ["timeout_ms: 300"],
              message: "no first byte within 300 ms"),
    ]

    /// Each fault: one non-fatal StageFailure naming what was wrong, the response closed with
    /// "error", the pipeline still running, and the next turn answered (not stuck).
    @Test(arguments: faults)
    func faultIsReportedAndTheTurnCloses(_ fault: Fault) async throws {
        let h = try ChatStageHarness(scenario: fault.scenario, query: fault.query,
                                     options: fault.options + ["api_key: sk-do-not-print"])
        h.say("hello")
        #expect(h.runUntilEnded())
        let failure = try #require(h.failures.first)
        #expect(h.failures.count == 1)
        #expect(failure.stage == "llm:openai")
        #expect(!failure.isFatal)
        #expect(failure.message.hasPrefix(fault.message), "got: \(failure.message)")
        #expect(!failure.message.contains("sk-do-not-print"))
        #expect(h.finishReasons == ["error"])
        guard case .responseStarted? = h.llm.first else { Issue.record("not started: \(h.llm)"); return }
        #expect(h.pipeline.outcome == nil)

        h.say("again")
        #expect(h.runUntilEnded(count: 2))
        #expect(h.finishReasons == ["error", "error"])
        // The failed reply's partial text is in the history, then the new user turn.
        let roles = h.stage.historyMessages.map(\.role)
        #expect(roles.first == "system" && roles.last == "user")
    }

    @Test func interruptionCancelsTheRequest() async throws {
        let h = try ChatStageHarness(scenario: "hang")
        h.say("hi")
        #expect(h.run { ChatStageHarness.llm($0).contains { if case .textDelta = $0 { true } else { false } } })
        h.pipeline.interrupt()
        h.pipeline.run()
        // The server sees the connection closed.
        let deadline = ContinuousClock.now + .seconds(5)
        var disconnects = 0
        while ContinuousClock.now < deadline {
            disconnects = try await h.server.disconnects(session: h.session)
            if disconnects > 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(disconnects == 1)
        // Nothing of the cut reply comes out afterwards, and no failure is reported for it.
        let before = h.llm.count
        h.run(timeout: .milliseconds(300)) { _ in false }
        #expect(h.llm.count == before)
        #expect(h.failures.isEmpty)
        // What was produced goes into the history (the hook's default keeps it all).
        #expect(h.stage.historyMessages.map(\.role) == ["system", "user", "assistant"])
        #expect(h.stage.historyMessages.last?.content == "Ech")
    }

    @Test func aNewerUserTurnSupersedesTheReplyInFlight() async throws {
        let h = try ChatStageHarness(scenario: "hang")
        h.say("one")
        #expect(h.run { ChatStageHarness.llm($0).contains { if case .textDelta = $0 { true } else { false } } })
        h.say("two")
        // The first reply is closed for downstream (no interruption dropped it), the second starts.
        #expect(h.run { ChatStageHarness.llm($0).filter { if case .textDelta = $0 { true } else { false } }.count >= 2 })
        #expect(h.finishReasons == ["superseded"])
        let requests = try await h.server.requests(session: h.session)
        #expect(requests.count == 2)
        let second = try #require(requests.last?["body"] as? [String: Any])
        #expect((second["messages"] as? [[String: String]])?.dropFirst().map { $0["content"] ?? "" } == ["one", "Ech", "two"])
        h.pipeline.cancel()
    }

    @Test func interruptedReplyHookDecidesWhatIsKept() throws {
        let h = try ChatStageHarness(scenario: "hang")
        h.stage.interruptedReplyText = { produced in produced.isEmpty ? nil : produced + "—" }
        h.say("hi")
        #expect(h.run { ChatStageHarness.llm($0).contains { if case .textDelta = $0 { true } else { false } } })
        h.pipeline.interrupt()
        h.pipeline.run()
        #expect(h.stage.historyMessages.last?.content == "Ech—")
        h.pipeline.cancel()
    }

    @Test func endOfStreamWaitsForTheReply() throws {
        let h = try ChatStageHarness(scenario: "ok")
        h.say("bye")
        h.pipeline.push(.control(.endOfStream))
        #expect(h.run { _ in h.pipeline.outcome != nil })
        #expect(h.pipeline.outcome == .finished)
        let ended = h.pipeline.outputs.lastIndex { if case .llm(.responseEnded) = $0 { true } else { false } }
        let eos = h.pipeline.outputs.lastIndex { if case .control(.endOfStream) = $0 { true } else { false } }
        #expect(ended != nil && eos != nil && ended! < eos!)
        #expect(h.replyText() == "Echo: bye")
    }

    @Test func badOptionsAreConfigErrors() throws {
        let registry = StageRegistry()
        for r in OpenAIChatStage.registrations { registry.register(r) }
        func make(_ yaml: String) throws -> any Stage {
            let node = try #require(try ConfigLoader.parse(yaml: "llm: \(yaml)", file: "t.yaml", environment: [:])["llm"])
            return try registry.makeStage(.llm, from: node, environment: [:])
        }
        #expect(throws: ConfigError.self) { try make("openai") }  // no model
        #expect(throws: ConfigError.self) { try make("{ provider: openai/m, base_url: \"ftp://x\" }") }
        #expect(throws: ConfigError.self) { try make("{ provider: openai/m, tools_json: \"{}\" }") }
        #expect(throws: ConfigError.self) { try make("{ provider: openai/m, temperature: 3 }") }
        let alias = try #require(try make("{ provider: openai-compatible/llama3, base_url: \"http://localhost:8080/v1\" }")
            as? OpenAIChatStage)
        #expect(alias.name == "llm:openai-compatible")
        #expect(alias.configuration.model == "llama3")
        #expect(alias.configuration.apiKey == "")
    }
}
