// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAgent
import ParleyCore
@testable import ParleyOpenAIPlugins
import Synchronization
import Testing

/// Tools run by the `openai/…` stage against openai_server.py: the model asks, the stage runs
/// the tools (a Swift closure and an HTTP webhook), sends the results, the model answers.
@Suite(.serialized)
struct ToolCallingTests {
    static let weather = ClosureTool(
        name: "get_weather", description: "The weather now in a city",
        parametersSchemaJSON: #"{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}"#
    ) { arguments in
        #expect(arguments.contains("Paris"))
        return #"{"temp_c": 21}"#
    }

    static func webhook(_ server: OpenAITestServer, name: String = "get_time") -> WebhookTool {
        WebhookTool(spec: .init(name: name, description: "The time in a zone",
                                url: URL(string: "http://127.0.0.1:\(server.port)/_test/tool/\(name)")!,
                                headers: ["Authorization": "Bearer tool-secret"], timeoutMs: 5_000,
                                parametersSchemaJSON: #"{"type": "object", "properties": {"zone": {"type": "string"}}}"#))
    }

    @Test("a tool round trip: calls run, results go back, the model answers from them, one reply bracket")
    func roundTrip() async throws {
        let server = try OpenAITestServer.get()
        let toolbox = Toolbox(tools: [Self.weather, Self.webhook(server)], maxSteps: 3)
        let h = try ChatStageHarness(scenario: "tool_round_trip", toolbox: toolbox)
        h.say("weather and time in Paris?")
        #expect(await h.runUntilEndedAsync())
        #expect(h.failures.isEmpty)
        let text = h.replyText()
        #expect(text.hasPrefix("Checking.Results: "))
        #expect(text.contains(#"{"temp_c": 21}"#))
        #expect(text.contains(#""tool": "get_time""#) && text.contains("Europe/Paris") && text.contains("Bearer tool-secret"))
        // One bracket for the whole reply, with both calls inside it.
        let starts = h.llm.filter { if case .responseStarted = $0 { true } else { false } }
        #expect(starts.count == 1 && h.finishReasons == ["stop"])
        let calls = h.llm.compactMap { if case .toolCall(_, let c) = $0 { c.name } else { nil } }
        #expect(calls == ["get_weather", "get_time"])

        let requests = try await h.server.requests(session: h.session)
        try #require(requests.count == 2)
        let first = try #require(requests[0]["body"] as? [String: Any])
        let tools = try #require(first["tools"] as? [[String: Any]])
        #expect(tools.compactMap { ($0["function"] as? [String: Any])?["name"] as? String } == ["get_weather", "get_time"])
        let second = try #require(requests[1]["body"] as? [String: Any])
        let messages = try #require(second["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["system", "user", "assistant", "tool", "tool"])
        let assistant = messages[2]
        #expect(assistant["content"] as? String == "Checking.")
        let wireCalls = try #require(assistant["tool_calls"] as? [[String: Any]])
        #expect(wireCalls.map { $0["id"] as? String } == ["call_w1", "call_t2"])
        #expect(wireCalls.allSatisfy { $0["type"] as? String == "function" })
        #expect(messages[3]["tool_call_id"] as? String == "call_w1" && messages[3]["content"] as? String == #"{"temp_c": 21}"#)
        #expect(messages[4]["tool_call_id"] as? String == "call_t2")

        // The conversation keeps the round for the next turn.
        #expect(h.stage.historyMessages.map(\.role) == ["system", "user", "assistant", "tool", "tool"])
        h.say("thanks")
        #expect(await h.runUntilEndedAsync(count: 2))
        let history = h.stage.historyMessages
        #expect(Array(history.map(\.role).prefix(7)) == ["system", "user", "assistant", "tool", "tool", "assistant", "user"])
        #expect(history[5].content.hasPrefix("Results: "))
    }

    @Test("max_tool_steps stops a model that keeps calling tools, with a clear failure and a closed reply")
    func stepLimit() async throws {
        let server = try OpenAITestServer.get()
        let h = try ChatStageHarness(scenario: "tool", toolbox: Toolbox(tools: [Self.weather, Self.webhook(server)],
                                                                        maxSteps: 2))
        h.say("weather?")
        #expect(await h.runUntilEndedAsync())
        #expect(try await h.server.requests(session: h.session).count == 3)
        let failure = try #require(h.failures.first)
        #expect(failure.message.contains("max_tool_steps") && failure.message.contains("2 tool rounds"))
        #expect(!failure.isFatal)
        #expect(h.finishReasons == ["tool_calls"])
    }

    @Test("a failing tool tells the model why; the reply goes on")
    func failingTool() async throws {
        let server = try OpenAITestServer.get()
        let broken = ClosureTool(name: "get_weather", description: "broken") { _ in
            throw WebhookTool.Failure(description: "weather service unreachable")
        }
        let h = try ChatStageHarness(scenario: "tool_round_trip",
                                     toolbox: Toolbox(tools: [broken, Self.webhook(server, name: "broken")]))
        h.say("weather?")
        #expect(await h.runUntilEndedAsync())
        let text = h.replyText()
        #expect(text.contains("weather service unreachable"))
        // The model also called get_time, which this toolbox does not have.
        #expect(text.contains("unknown tool get_time"))
        #expect(h.failures.isEmpty)
    }

    @Test("an interruption while tools run ends the reply; no further request is sent")
    func interruptedDuringTools() async throws {
        let started = Mutex(false)
        let slow = ClosureTool(name: "get_weather", description: "slow") { _ in
            started.withLock { $0 = true }
            try await Task.sleep(for: .seconds(2))
            return "{}"
        }
        let h = try ChatStageHarness(scenario: "tool_round_trip", toolbox: Toolbox(tools: [slow]))
        h.say("weather?")
        #expect(await h.runAsync { _ in started.withLock { $0 } })
        h.pipeline.interrupt()
        h.pipeline.run()
        try await Task.sleep(for: .seconds(3))
        h.pipeline.run()
        #expect(try await h.server.requests(session: h.session).count == 1)
        // The round never finished: nothing of it in the context (a call without its result would be refused).
        #expect(h.stage.historyMessages.map(\.role) == ["system", "user"])
    }
}
