// SPDX-License-Identifier: Apache-2.0

/// Draws one round's provider latencies for every turn, from the scenario's seed and the
/// round number, so round r of a scenario is the same for every framework and every run.
public enum ScenarioResolver {
    public static func resolve(_ scenario: Scenario, timeline: FixtureBuilder.Timeline, round: Int) -> ResolvedScenario {
        var rng = SeededRandom(seed: scenario.seed &* 0x9E37_79B9 &+ UInt64(round))
        let p = scenario.providers
        var turns: [ResolvedScenario.Turn] = []
        for (i, t) in scenario.turns.enumerated() {
            // Always three draws per turn, in this order, so adding a turn keeps earlier draws.
            let stt = p.sttFinalAfter.draw(&rng)
            let ttft = p.llmTTFT.draw(&rng)
            let ttfb = p.ttsTTFB.draw(&rng)
            turns.append(ResolvedScenario.Turn(
                index: i + 1, text: t.say, speechStartMs: timeline.speech[i].start, speechEndMs: timeline.speech[i].end,
                reply: t.reply, sttFinalAfterMs: rounded(stt), llmTTFTMs: rounded(ttft),
                llmTokensPerSecond: p.llmTokensPerSecond, ttsTTFBMs: rounded(ttfb), ttsSpeed: p.ttsSpeed,
                bargeIn: t.bargeIn))
        }
        return ResolvedScenario(
            name: scenario.name, round: round, seed: scenario.seed,
            input: .init(wav: timeline.wavPath, sampleRate: FixtureBuilder.sampleRate, frameMs: 20),
            pacing: scenario.pacing, endpointingMs: Double(scenario.endpointingMs),
            interruptionMinMs: Double(scenario.interruptionMinMs), tts: p.speech, turns: turns)
    }

    private static func rounded(_ v: Double) -> Double { (v * 10).rounded() / 10 }
}
