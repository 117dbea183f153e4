// SPDX-License-Identifier: Apache-2.0

import ParleyAgent
import ParleyCore

/// The agent config a scenario runs Parley with: its VAD (by default `defaultVAD`: Silero when
/// this build links the local engines, the model pipecat and livekit-agents use; else WebRTC;
/// with a short silence hangover of its own so the turn manager's endpointing timer, not the
/// VAD's window grid, decides when the silence reaches `endpointing_ms`), the simulated providers in the stt/llm/tts slots, and turn
/// taking set from the scenario's `endpointing_ms` and `interruption_min_ms`.
///
/// `tuned` (Parley's fastest honest settings) adds preemptive generation: the reply starts on
/// the STT's final while endpointing still waits, and plays once the turn really ends.
///
/// The default VAD declares speech after 100 ms (or `interruption_min_ms` if shorter, so a
/// barge-in is seen in time) and stamps its start at the onset (`prefix_padding_ms: 0`): the turn manager
/// counts `interruption_min_ms` from that stamp, and the simulated STT keeps no pre-roll that
/// the padding would be for.
public enum BenchAgentConfig {
    public static func make(for scenario: Scenario, defaultVAD: String = "webrtc", tuned: Bool = false) throws -> (config: AgentConfig, endpointingMs: Double, settings: [String: String]) {
        let yaml = """
        agent: { name: bench, instructions: "You are a voice assistant in a benchmark." }
        pipeline:
          vad: { provider: \(defaultVAD), min_silence_ms: \(min(100, scenario.endpointingMs)), min_speech_ms: \(min(100, scenario.interruptionMinMs)), prefix_padding_ms: 0 }
          stt: sim
          llm: sim
          tts: sim
        turn:
          endpointing_min_ms: \(scenario.endpointingMs)
          interruption_min_ms: \(scenario.interruptionMinMs)
          preemptive_generation: \(tuned)
        """
        var root = try ConfigLoader.parse(yaml: yaml, file: "<bench agent config>", environment: [:])
        if let vad = scenario.parley.vad { root = replacing(["pipeline", "vad"], in: root, with: vad) }
        if let audio = scenario.parley.audio { root = replacing(["audio"], in: root, with: audio) }
        let config = try AgentConfig(root: root, file: scenario.file)
        // The silence the turn waits for: the turn manager's minimum, or the VAD's hangover if longer.
        let vadNode = config.pipeline.vad
        var vadSilence = 300
        var vadText = "none"
        if let vadNode {
            if case .scalar(let s) = vadNode.kind {
                vadText = s
            } else {
                vadText = (try? vadNode.string("provider", default: "?")).flatMap { $0 } ?? "?"
                vadSilence = (try? vadNode.int("min_silence_ms", default: 300, in: 0...60_000)) ?? 300
            }
        }
        let endpointing = Double(max(config.turn.endpointingMinMs, vadSilence))
        return (config, endpointing, [
            "vad": "\(vadText) min_silence_ms=\(vadSilence)",
            "turn": "endpointing_min_ms=\(config.turn.endpointingMinMs) interruption_min_ms=\(config.turn.interruptionMinMs) resume_false_interruption=\(config.turn.resumeFalseInterruption)",
            "output": "PlayoutStage paced in real time at \(config.audio.sampleRate) Hz (first agent sample = when it leaves the pipeline)",
            "llm text to TTS": "sentences (SentenceChunker)",
            "preemptive_generation": tuned ? "on (the LLM starts on the final transcript; playout waits for the end of turn)" : "off",
        ])
    }

    /// `root` with the node at `path` (mapping keys) replaced, created if missing.
    static func replacing(_ path: [String], in root: ConfigNode, with value: ConfigNode) -> ConfigNode {
        guard let key = path.first, case .mapping(var entries) = root.kind else { return root }
        let rest = Array(path.dropFirst())
        if let i = entries.firstIndex(where: { $0.key == key }) {
            entries[i].value = rest.isEmpty ? value : replacing(rest, in: entries[i].value, with: value)
        } else if rest.isEmpty {
            entries.append(.init(key: key, keyLocation: value.location, value: value))
        }
        var out = root
        out.kind = .mapping(entries)
        return out
    }
}
