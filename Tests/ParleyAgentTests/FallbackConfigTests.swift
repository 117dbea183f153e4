// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAgent
import ParleyBuiltinPlugins
import ParleyCore
import ParleyOpenAIPlugins
import ParleyTestSupport
import Testing

/// `llm: { fallback: [a, b], … }` from the config file to a running `FallbackStage`.
@Suite("fallback slots in the config", .serialized)
struct FallbackConfigTests {
    static let registry: StageRegistry = {
        let r = StageRegistry()
        for reg in BuiltinPlugins.registrations { r.register(reg) }
        for reg in OpenAIChatStage.registrations { r.register(reg) }
        return r
    }()

    func assemble(_ yaml: String, env: [String: String] = [:]) throws -> PipelineAssembler.Session {
        let config = try AgentConfig.parse(yaml: yaml, file: "fb.yaml", environment: env)
        return try PipelineAssembler(registry: Self.registry, environment: env)
            .buildSession(config, input: .standard, outputCaps: .any, pacedPlayout: false)
    }

    func errorLine(_ yaml: String) -> String? {
        do {
            _ = try assemble(yaml)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("a slot with a fallback list becomes one FallbackStage with the providers in order and the settings")
    func builds() throws {
        let session = try assemble("""
            pipeline:
              llm:
                fallback:
                  - echo
                  - { provider: echo, prefix: "Backup: " }
                attempt_timeout_ms: 1500
                recovery_interval_ms: 60000
            """)
        let stage = try #require(session.graph.nodes.lazy.compactMap { $0.stage as? FallbackStage }.first)
        #expect(stage.name == "llm:fallback")
        #expect(stage.labels == ["echo", "echo#2"])
        #expect(stage.settings.attemptTimeout == 1_500_000_000 && stage.settings.recoveryInterval == 60_000_000_000)
    }

    static let errors: [(String, String, String)] = [
        ("a bad option of the second provider is reported at its own line",
         "pipeline:\n  llm:\n    fallback:\n      - echo\n      - { provider: echo, prefx: \"x\" }\n",
         "fb.yaml:5:27: pipeline.llm.fallback[1]: \"prefx\" is not a known key; did you mean \"prefix\"? (allowed: provider, prefix)"),
        ("an unknown provider in the list",
         "pipeline:\n  llm:\n    fallback: [echo, nope/model]\n",
         "fb.yaml:3:22: pipeline.llm.fallback[1]: \"nope/model\" is not a registered llm provider (allowed: echo, openai, openai-compatible)"),
        ("an unknown key next to the list",
         "pipeline:\n  llm: { fallback: [echo], attempt_timeout: 100 }\n",
         "fb.yaml:2:28: pipeline.llm: \"attempt_timeout\" is not a known key (allowed: fallback, attempt_timeout_ms, recovery_interval_ms)"),
        ("an empty list",
         "pipeline:\n  llm: { fallback: [] }\n",
         "fb.yaml:2:20: pipeline.llm.fallback: <sequence> lists no provider (allowed: one or more providers, first preferred)"),
        ("a slot without fallback",
         "pipeline:\n  vad: { fallback: [energy, energy] }\n",
         "fb.yaml:2:20: pipeline.vad.fallback: <sequence> is not available for vad (allowed: fallback lists in stt, llm and tts)"),
        ("pre_roll_ms outside stt",
         "pipeline:\n  llm: { fallback: [echo], pre_roll_ms: 100 }\n",
         "fb.yaml:2:28: pipeline.llm: \"pre_roll_ms\" is not a known key (allowed: fallback, attempt_timeout_ms, recovery_interval_ms)"),
    ]

    @Test("malformed fallback slots give one exact file:line:key error", arguments: errors.indices)
    func malformed(_ i: Int) {
        let (what, yaml, expected) = Self.errors[i]
        #expect(errorLine(yaml) == expected, "\(what)")
    }

    /// Two real `openai/…` stages through the registry against Tests/ProviderTestServers/openai_server.py:
    /// the first answers HTTP 500, the second streams the reply.
    @Test("a 500 from the first openai provider: the second answers the turn, with the user message in its context once")
    func liveOpenAIFallback() async throws {
        let server = try ProviderTestServer.shared("openai_server.py")
        let session = "fb" + UUID().uuidString.prefix(8).lowercased()
        let base = { (scenario: String) in server.base(session: "\(session)-\(scenario)", scenario: scenario) + "/v1" }
        let built = try assemble("""
            agent: { instructions: "Be brief." }
            pipeline:
              llm:
                fallback:
                  - { provider: openai/gpt-test, base_url: "\(base("error_500"))" }
                  - { provider: openai/gpt-test, base_url: "\(base("ok"))" }
                attempt_timeout_ms: 5000
            """)
        let pipeline = try EmbeddedPipeline(graph: built.graph, clock: SystemClock())
        pipeline.push(.text(TextFrame(text: "What is the capital of France?", role: .user)))
        // Replies arrive on URLSession's threads: turn the loop until they are out. Sleeping with
        // `Task.sleep` (not usleep) leaves the test runner's few threads to other tests.
        func run(until done: ([Frame]) -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                pipeline.run()
                if done(pipeline.outputs) { return true }
                try await Task.sleep(for: .milliseconds(2))
            }
            return false
        }
        #expect(try await run { $0.contains { if case .llm(.responseEnded) = $0 { true } else { false } } })
        let llm = pipeline.outputs.compactMap { if case .llm(let f) = $0 { f } else { nil } }
        let reply = llm.compactMap { if case .textDelta(_, let t) = $0 { t } else { nil } }.joined()
        #expect(reply == "Echo: What is the capital of France?")
        #expect(llm.last.map { if case .responseEnded(_, "stop") = $0 { true } else { false } } == true)
        // The 500 was handled: nothing of the first provider's failure went downstream.
        #expect(!pipeline.outputs.contains { if case .control(.error) = $0 { true } else { false } })
        #expect(pipeline.outputs.contains { if case .control(.metric(let m)) = $0 { m.name == "fallback" } else { false } })

        let failed = try await server.admin("/_test/requests?session=\(session)-error_500")["requests"] as? [[String: Any]]
        let answered = try await server.admin("/_test/requests?session=\(session)-ok")["requests"] as? [[String: Any]]
        #expect(failed?.count == 1 && answered?.count == 1)
        let messages = try #require((answered?.first?["body"] as? [String: Any])?["messages"] as? [[String: String]])
        #expect(messages == [["role": "system", "content": "Be brief."],
                             ["role": "user", "content": "What is the capital of France?"]])

        pipeline.push(.control(.endOfStream))
        #expect(try await run { _ in pipeline.outcome != nil })
        #expect(pipeline.outcome == .finished)
        // The turn is in the session's context once, with the second provider's reply.
        #expect(built.conversation.messages.map(\.content) == ["What is the capital of France?",
                                                               "Echo: What is the capital of France?"])
    }
}
