// SPDX-License-Identifier: Apache-2.0

/// Turns raw records into results, with one definition for every framework (PROTOCOL.md,
/// "Metrics"): voice-to-voice, expected, engine-added, interruption stop.
public enum Metrics {
    /// The stage name Parley's turn records give the endpointing decision under.
    public static let endpointingStage = "endpointing (VAD speech end → decision)"
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// Adds one round's records to `run` (created from the records' `run_start` when nil).
    public static func accumulate(_ records: [RawRecord], scenario: ResolvedScenario, into run: inout FrameworkRun?) throws {
        guard case .runStart(let start)? = records.first(where: { if case .runStart = $0 { return true }; return false }) else {
            throw Failure(description: "the runner wrote no run_start record")
        }
        if run == nil {
            run = FrameworkRun(framework: start.framework, variant: start.variant, version: start.version,
                               settings: start.settings, endpointingMs: start.endpointingMs)
        }
        let turnsByIndex = Dictionary(uniqueKeysWithValues: scenario.turns.map { ($0.index, $0) })
        for record in records {
            switch record {
            case .turn(let t):
                guard let turn = turnsByIndex[t.turn] else {
                    throw Failure(description: "turn record for turn \(t.turn), which the scenario does not have")
                }
                run!.turns.append(result(t, turn: turn, endpointingMs: start.endpointingMs, round: scenario.round))
            case .interruption(let i):
                run!.interruptions.append(InterruptionResult(round: scenario.round, session: i.session, turn: i.turn,
                                                             stopMs: i.stopMs.map { $0 - i.triggerMs }))
            case .resources(let r):
                run!.resources.append(r)
            case .runStart, .runEnd:
                break
            }
        }
    }

    static func result(_ t: RawRecord.Turn, turn: ResolvedScenario.Turn, endpointingMs: Double, round: Int) -> TurnResult {
        let v2v = t.firstAudioMs.map { $0 - t.speechEndMs }
        let expected = turn.expectedMs(endpointingMs: endpointingMs)
        let intervals = min(turn.tokensInFirstSentence, max(turn.replyTokens.count - 1, 0))
        let parts = [
            TurnResult.Part(name: "endpointing / STT final", ms: max(endpointingMs, turn.sttFinalAfterMs)),
            TurnResult.Part(name: "LLM first sentence", ms: turn.llmTTFTMs + Double(intervals) * 1000 / turn.llmTokensPerSecond),
            TurnResult.Part(name: "TTS first byte", ms: turn.ttsTTFBMs),
        ]
        var result = TurnResult(round: round, session: t.session, turn: t.turn, voiceToVoiceMs: v2v, expectedMs: expected,
                                engineAddedMs: v2v.map { $0 - expected }, parts: parts)
        // v2v = VAD lag + (VAD's speech end → decision) + (decision → first audio out).
        if let v2v, let stages = t.stages, let decision = stages[Metrics.endpointingStage],
           let out = stages.first(where: { $0.key.hasPrefix("→ playout") })?.value {
            result.vadLagMs = v2v - decision - out
        }
        return result
    }
}
