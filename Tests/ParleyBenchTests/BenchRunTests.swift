// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyAgent
@testable import ParleyBench
import ParleyBuiltinPlugins
import ParleyCore
import ParleyWebRTCPlugins
import Testing

/// Runs scenarios through Parley's real pipeline (VAD, turn manager, playout) with the
/// simulated providers, in real time, and checks what the runner records. No wall-clock
/// bounds are asserted (figures are the benchmark's job): only that each turn was answered
/// after its speech ended, the barge-in stopped the reply, and a stopped run says so.
@Suite("parley bench run (in process)", .serialized)
struct BenchRunTests {
    static let yaml = """
    name: tiny
    seed: 3
    rounds: 1
    lead_in_ms: 300
    turns:
      - say: What time is it?
        reply: It is noon. Time for lunch.
        pause_ms: 3000
      - say: Tell me a long story about the sea.
        reply: Once there was a boat that sailed far away over the sea, past the islands and the whales, for many days and nights.
        pause_ms: 2500
      - say: Stop please.
        barge_in: true
        reply: Okay.
        pause_ms: 1000
    providers:
      stt: { final_after_ms: 120 }
      llm: { ttft_ms: { uniform: { min: 150, max: 250 } }, tokens_per_s: 100 }
      tts: { ttfb_ms: 100 }
    """

    static func registry() -> StageRegistry {
        let r = StageRegistry()
        for reg in BuiltinPlugins.registrations { r.register(reg) }
        r.register(WebRTCVADStage.registration)
        return r
    }

    static func prepared(_ yaml: String = yaml) throws -> (Scenario, FixtureBuilder.Timeline, ParleyRunner) {
        let scenario = try Scenario.parse(yaml: yaml, file: "tiny.yaml")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parley-bench-fixtures")
        let timeline = try FixtureBuilder(directory: dir).build(scenario)
        let made = try BenchAgentConfig.make(for: scenario)
        let runner = ParleyRunner(config: made.config, makeRegistry: { registry() }, endpointingMs: made.endpointingMs,
                                  settings: made.settings, version: "test", logger: Logger(label: "test"))
        return (scenario, timeline, runner)
    }

    @Test("fixtures: each utterance is espeak-ng speech on the timeline, trimmed, with the pauses between")
    func fixtures() throws {
        let (scenario, timeline, _) = try Self.prepared()
        #expect(timeline.speech.count == 3)
        #expect(timeline.speech[0].start == 300)
        for (i, s) in timeline.speech.enumerated() {
            #expect(s.end - s.start > 300, "utterance \(i) is \(s.end - s.start) ms")
            if i > 0 { #expect(s.start == timeline.speech[i - 1].end + Double(scenario.turns[i - 1].pauseMs)) }
        }
    }

    @Test("two answered turns and a barge-in, measured on the records every framework writes")
    func answersAndBargeIn() throws {
        let (scenario, timeline, runner) = try Self.prepared()
        let resolved = ScenarioResolver.resolve(scenario, timeline: timeline, round: 1)
        let records = try runner.run(resolved, sessions: 1, stop: StopFlag())
        let turns = records.compactMap { if case .turn(let t) = $0 { t } else { nil } }
        #expect(turns.map(\.turn) == [1, 2])
        for t in turns {
            let first = try #require(t.firstAudioMs, "turn \(t.turn) got no reply")
            #expect(first > t.speechEndMs)
            #expect(t.stages?[Metrics.endpointingStage] != nil)
        }
        let bargeIns = records.compactMap { if case .interruption(let i) = $0 { i } else { nil } }
        #expect(bargeIns.count == 1)
        let stop = try #require(bargeIns.first?.stopMs, "the story was not stopped")
        // It stopped while the user was speaking, long before the 9 s story would have ended.
        #expect(stop < resolved.turns[2].speechEndMs + 1000)
        guard case .runEnd? = records.last else { Issue.record("no run_end"); return }

        var run: FrameworkRun?
        try Metrics.accumulate(records, scenario: resolved, into: &run)
        let results = try #require(run)
        #expect(results.turns.count == 2)
        #expect(results.turns.allSatisfy { $0.engineAddedMs != nil && $0.vadLagMs != nil })
        #expect(results.interruptions.count == 1)
        // Raw records survive the JSON-lines round trip the Python runners use.
        let text = records.map(RawRecordCodec.encode).joined(separator: "\n")
        #expect(try RawRecordCodec.decodeAll(text) == records)
    }

    @Test("a run stopped early (Ctrl-C) returns what it measured and the report says partial")
    func stoppedEarly() throws {
        let (scenario, timeline, runner) = try Self.prepared()
        let stop = StopFlag()
        DispatchQueue.global().asyncAfter(deadline: .now() + 6) { stop.set() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parley-bench-partial-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let driver = BenchDriver(scenario: scenario, timeline: timeline, contenders: [.parley(runner)], sessions: 1,
                                 rounds: 2, workDirectory: folder.appendingPathComponent("rounds"), command: "test")
        let results = driver.run(stop: stop) { _, _ in }
        #expect(!results.complete)
        #expect(results.runs.first?.turns.first?.voiceToVoiceMs != nil, "the first turn (answered before the stop) is kept")
        let files = try ReportWriter.write(results, to: folder)
        let report = try String(contentsOf: try #require(files.first { $0.lastPathComponent == "report.md" }), encoding: .utf8)
        #expect(report.contains("PARTIAL"))
    }

    @Test("the simulated LLM picks the turn by the user's words, as the Python runners do")
    func turnLookup() {
        let turns = (1...3).map { i in
            ResolvedScenario.Turn(index: i, text: "sentence \(i)", speechStartMs: 0, speechEndMs: 0, reply: "r\(i)",
                                  sttFinalAfterMs: 0, llmTTFTMs: 0, llmTokensPerSecond: 1, ttsTTFBMs: 0, ttsSpeed: 1,
                                  bargeIn: false)
        }
        #expect(SimulatedLLMStage.turn(for: "sentence 2", in: turns).index == 2)
        #expect(SimulatedLLMStage.turn(for: "sentence 1 sentence 3", in: turns).index == 3)
        #expect(SimulatedLLMStage.turn(for: "something else", in: turns).index == 3)
    }
}
