// SPDX-License-Identifier: Apache-2.0

/// How a `FallbackStage` moves a request from one provider to the next and brings a failed
/// provider back (livekit-agents' `FallbackAdapter` options, in pipeline-clock nanoseconds).
public struct FallbackSettings: Sendable, Hashable {
    /// How long a provider may take to produce the first output of a request (LLM: first
    /// token; TTS: first audio of a text; STT: first transcript after the end of speech)
    /// before the request moves to the next provider. 0: no limit (only errors switch).
    public var attemptTimeout: Nanos
    /// How long a failed provider rests. The first request after that goes to it again (it
    /// is first in line once more); if it fails again, that request moves on as before.
    public var recoveryInterval: Nanos
    /// STT: user audio kept from before the VAD's speech onset, replayed with the utterance
    /// (the VAD confirms speech a little after it began; STT stages keep a pre-roll too).
    public var preRoll: Nanos
    /// STT: the longest stretch of audio kept for a replay; a longer utterance is not replayed.
    public var maxReplay: Nanos

    public init(attemptTimeoutMs: Int = 5_000, recoveryIntervalMs: Int = 30_000, preRollMs: Int = 500,
                maxReplayMs: Int = 30_000) {
        attemptTimeout = Nanos(attemptTimeoutMs) * 1_000_000
        recoveryInterval = Nanos(recoveryIntervalMs) * 1_000_000
        preRoll = Nanos(preRollMs) * 1_000_000
        maxReplay = Nanos(maxReplayMs) * 1_000_000
    }

    /// livekit-agents' defaults: 5 s for an LLM's first token, 10 s for STT and TTS.
    public static func defaults(for kind: StageKind) -> FallbackSettings {
        FallbackSettings(attemptTimeoutMs: kind == .llm ? 5_000 : 10_000)
    }
}
