// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyOpenAIPlugins
import Testing

/// The real stage, built from config through the registry, in an `EmbeddedPipeline` on the
/// system clock, pointed at the test server. Replies arrive on URLSession's threads, so
/// `run(until:)` turns the loop until a condition holds or a deadline passes.
final class ChatStageHarness {
    let session = "t" + UUID().uuidString.prefix(8).lowercased()
    let server: OpenAITestServer
    let stage: OpenAIChatStage
    let pipeline: EmbeddedPipeline
    private var segment = 0

    /// `options`: extra YAML flow-mapping entries (`"timeout_ms: 300"`).
    init(scenario: String, query: String = "", options: [String] = [], environment: [String: String] = [:],
         toolbox: Toolbox = Toolbox()) throws {
        server = try OpenAITestServer.get()
        let registry = StageRegistry()
        for r in OpenAIChatStage.registrations { registry.register(r) }
        let entries = ["provider: openai/gpt-test", "base_url: \"\(server.baseURL(session: session, scenario: scenario, query: query))\""]
            + options
        let yaml = "llm: { \(entries.joined(separator: ", ")) }"
        let node = try #require(try ConfigLoader.parse(yaml: yaml, file: "t.yaml", environment: environment)["llm"])
        stage = try #require(try registry.makeStage(.llm, from: node, environment: environment, toolbox: toolbox)
            as? OpenAIChatStage)
        let graph = try PipelineBuilder(input: .standard, inputKinds: [.audio, .control, .transcript, .text])
            .then(stage).build(outputCaps: .any)
        pipeline = try EmbeddedPipeline(graph: graph, clock: SystemClock())
    }

    /// A final user transcript, as an STT stage emits it.
    func say(_ text: String) {
        segment += 1
        pipeline.push(.transcript(TranscriptFrame(text: text, isFinal: true, segmentID: "u\(segment)", role: .user)))
    }

    /// Runs the loop until `done(outputs)` or `timeout`; returns whether `done` held.
    @discardableResult
    func run(timeout: Duration = .seconds(10), until done: ([Frame]) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            pipeline.run()
            if done(pipeline.outputs) { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(2_000)
        }
    }

    /// As `run(timeout:until:)`, but waits with `Task.sleep` between turns of the loop, leaving
    /// the cooperative threads free: tests whose stage runs Swift tasks (tools) must use this,
    /// or on a 2-core machine the tasks may get no thread while the loop spins.
    @discardableResult
    func runAsync(timeout: Duration = .seconds(10), until done: ([Frame]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            pipeline.run()
            if done(pipeline.outputs) { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    @discardableResult
    func runUntilEndedAsync(count n: Int = 1, timeout: Duration = .seconds(10)) async -> Bool {
        await runAsync(timeout: timeout) {
            Self.llm($0).filter { if case .responseEnded = $0 { true } else { false } }.count >= n
        }
    }

    /// Runs until the `n`th `responseEnded` came out.
    @discardableResult
    func runUntilEnded(count n: Int = 1, timeout: Duration = .seconds(10)) -> Bool {
        run(timeout: timeout) { Self.llm($0).filter { if case .responseEnded = $0 { true } else { false } }.count >= n }
    }

    var llm: [LLMFrame] { Self.llm(pipeline.outputs) }

    static func llm(_ frames: [Frame]) -> [LLMFrame] {
        frames.compactMap { if case .llm(let f) = $0 { f } else { nil } }
    }

    var failures: [StageFailure] {
        pipeline.outputs.compactMap { if case .control(.error(let f)) = $0 { f } else { nil } }
    }

    var metrics: [StageMetric] {
        pipeline.outputs.compactMap { if case .control(.metric(let m)) = $0 { m } else { nil } }
    }

    var agentText: [String] {
        pipeline.outputs.compactMap { if case .text(let t) = $0, t.role == .agent { t.text } else { nil } }
    }

    /// The concatenated text deltas of response `id` (all responses when nil).
    func replyText(_ id: String? = nil) -> String {
        llm.compactMap { if case .textDelta(let r, let t) = $0, id == nil || r == id { t } else { nil } }.joined()
    }

    var finishReasons: [String] {
        llm.compactMap { if case .responseEnded(_, let reason) = $0 { reason } else { nil } }
    }
}
