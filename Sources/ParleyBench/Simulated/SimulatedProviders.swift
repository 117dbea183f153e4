// SPDX-License-Identifier: Apache-2.0

import ParleyCore
import Synchronization

/// The simulated providers of one bench session: `sim/stt`, `sim/llm` and `sim/tts` stages
/// playing one resolved scenario. Registered in a registry of the session's own, so a
/// scenario's Parley pipeline is assembled by the same `PipelineAssembler` as any agent.
public final class SimulatedProviders: Sendable {
    public let scenario: ResolvedScenario
    /// Reply id → the turn it answers (the LLM stage records, the TTS stage reads its TTFB).
    private let replies = Mutex<[String: Int]>([:])

    public init(scenario: ResolvedScenario) { self.scenario = scenario }

    func noteReply(_ id: String, turn: Int) { replies.withLock { $0[id] = turn } }

    /// The turn (1-based index) a reply answers.
    func turn(ofReply id: String) -> Int? { replies.withLock { $0[id] } }

    func ttsTTFB(replyID: String) -> Double {
        let index = replies.withLock { $0[replyID] }
        return scenario.turns.first { $0.index == index }?.ttsTTFBMs ?? scenario.turns[0].ttsTTFBMs
    }

    public var registrations: [StageRegistration] {
        [
            StageRegistration(provider: "sim", kinds: [.stt, .llm, .tts],
                              summary: "The bench's simulated providers (scenario-driven latencies; no network)") { [self] request in
                switch request.kind {
                case .stt:
                    return SimulatedSTTStage(turns: scenario.turns)
                case .llm:
                    return SimulatedLLMStage(turns: scenario.turns, conversation: request.conversation ?? Conversation(instructions: ""),
                                             turnManaged: request.turnManaged, onReply: { [self] id, turn in
                                                 noteReply(id, turn: turn)
                                             })
                default:
                    return SimulatedTTSStage(speech: scenario.tts, speed: scenario.turns.first?.ttsSpeed ?? 1,
                                             ttfb: { [self] id in ttsTTFB(replyID: id) })
                }
            },
        ]
    }
}
