// SPDX-License-Identifier: Apache-2.0

import Foundation
@testable import ParleyBench
import ParleyCore
import Testing

@Suite("Bench scenarios")
struct ScenarioTests {
    static let valid = """
    name: two-turns
    seed: 7
    turns:
      - say: What is the weather like today?
        reply: It is sunny. Expect twenty degrees.
        pause_ms: 3000
      - say: Stop, thank you.
        barge_in: true
    providers:
      llm: { ttft_ms: { lognormal: { median: 300, p95: 500 } }, tokens_per_s: 50 }
    """

    @Test("a valid scenario loads with its defaults")
    func loads() throws {
        let s = try Scenario.parse(yaml: Self.valid, file: "s.yaml")
        #expect(s.name == "two-turns")
        #expect(s.turns.count == 2)
        #expect(s.turns[1].bargeIn)
        #expect(s.providers.llmTokensPerSecond == 50)
        #expect(s.providers.llmTTFT == .lognormal(median: 300, p95: 500))
        #expect(s.endpointingMs == 300)
    }

    @Test("malformed scenarios are rejected with file:line and the key", arguments: [
        ("turns:\n  - say: hi\n    pauze_ms: 3\n", "s.yaml:3", "pauze_ms"),
        ("turns:\n  - say: hi\nproviders:\n  llm: { ttft_ms: { gamma: 3 } }\n", "s.yaml:4", "gamma"),
        ("turns:\n  - say: hi\nproviders:\n  tts: { ttfb_ms: -5 }\n", "s.yaml:4", "providers.tts.ttfb_ms"),
        ("turns:\n  - say: hi\n    barge_in: true\n", "s.yaml:3", "barge_in"),
        ("turns: []\n", "s.yaml:1", "turns"),
        ("seed: 1\n", "s.yaml", "turns"),
        ("turns:\n  - say: hi\nparley:\n  network: wifi-bad\n", "s.yaml:4", "parley.network"),
        ("turns:\n  - say: hi\nproviders:\n  stt: { final_after_ms: { uniform: { min: 50, max: 10 } } }\n", "s.yaml:4", "max"),
    ])
    func rejects(yaml: String, location: String, key: String) {
        do {
            _ = try Scenario.parse(yaml: yaml, file: "s.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix(location), "\(text)")
            #expect(text.contains(key), "\(text)")
        }
    }

    @Test("draws are reproducible per seed and round, and differ between rounds")
    func draws() {
        let d = LatencyDistribution.lognormal(median: 300, p95: 500)
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let xs = (0..<200).map { _ in d.draw(&a) }
        #expect(xs == (0..<200).map { _ in d.draw(&b) })
        #expect(xs != (0..<200).map { _ in d.draw(&c) })
        let sorted = xs.sorted()
        #expect(abs(sorted[100] - 300) < 40, "median \(sorted[100])")
        #expect(abs(sorted[190] - 500) < 90, "p95 \(sorted[190])")
    }

    @Test("expected time counts the tokens through the first sentence and the one confirming it")
    func expected() {
        let t = ResolvedScenario.Turn(index: 1, text: "hi", speechStartMs: 0, speechEndMs: 1000,
                                      reply: "It is sunny. Expect rain.", sttFinalAfterMs: 100, llmTTFTMs: 300,
                                      llmTokensPerSecond: 100, ttsTTFBMs: 150, ttsSpeed: 1, bargeIn: false)
        #expect(t.replyTokens == ["It", " is", " sunny.", " Expect", " rain."])
        #expect(t.tokensInFirstSentence == 3)
        // max(300, 100) + 300 + 3 × 10 + 150
        #expect(t.expectedMs(endpointingMs: 300) == 780)
    }
}
