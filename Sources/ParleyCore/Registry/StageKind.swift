// SPDX-License-Identifier: Apache-2.0

/// The slot a provider fills in a voice pipeline. A registration lists the kinds it serves
/// (one provider family, e.g. `openai`, can serve `stt`, `llm`, `tts` and `realtime`).
public enum StageKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case noiseSuppression = "noise_suppression"
    case vad
    case stt
    case turnDetection = "turn_detection"
    case llm
    case tts
    case realtime
    case avatar
    /// Anything else placed in an explicit `pipeline.stages` list (recorders, meters, responders).
    case processor

    public var description: String { rawValue }
}
