// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// A voice-activity detector on frame energy against an adaptive noise floor, with
/// hysteresis, minimum speech/silence durations and onset padding.
///
/// It is the dependency-free VAD that works before any model is installed: speech is a frame
/// whose RMS level is above both `threshold_db` and the noise floor plus `floor_margin_db`.
/// The noise floor is tracked by minimum statistics (Martin 2001, simplified): the quietest
/// frame level over the last ~2 s. Speech has gaps, steady noise does not, so the minimum
/// follows the noise — including noise that is present from the very first frame or rises
/// while someone talks — and speech alone never lifts it. It is not a speech model: loud
/// non-speech sounds pass as speech. Model-based VADs (WebRTC, Silero) register under their
/// own names.
///
/// Emits `userStartedSpeaking(at:)` after `min_speech_ms` of speech (stamped with the first
/// voiced sample, minus padding) and `userStoppedSpeaking(speechEnd:)` after `min_silence_ms`
/// of silence (stamped with the end of the last voiced frame). Audio passes through unchanged.
public final class EnergyVAD: Stage {
    public struct Settings: Sendable, Hashable {
        public var thresholdDB: Double = -45
        public var floorMarginDB: Double = 12
        public var minSpeechMs: Int = 60
        public var minSilenceMs: Int = 300
        public var prefixPaddingMs: Int = 200
        public init() {}
    }

    public let name: String
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { .control }
    public var inputCaps: AudioCaps { AudioCaps(channels: [1]) }

    public let settings: Settings
    /// Frame levels of the last `floorWindow` frames (a ring), for the minimum-statistics floor.
    private var recentLevels: [Double]
    private var recentIndex = 0
    private var noiseFloorDB: Double = -90
    /// ~2 s of 20 ms frames.
    private static let floorWindow = 100
    private var speaking = false
    private var voicedRun: Nanos = 0
    private var silentRun: Nanos = 0
    private var firstVoiced: Nanos = 0
    private var lastVoicedEnd: Nanos = 0

    public init(name: String = "vad:energy", settings: Settings = Settings()) {
        self.name = name
        self.settings = settings
        recentLevels = Array(repeating: .infinity, count: Self.floorWindow)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let a) = frame else { return context.emit(frame) }
        let level = max(a.levelDBFS, -120)
        recentLevels[recentIndex] = level
        recentIndex = (recentIndex + 1) % Self.floorWindow
        var minimum = Double.infinity
        for l in recentLevels where l < minimum { minimum = l }
        // Smooth the floor so one very quiet frame doesn't yank it down for two seconds.
        noiseFloorDB += (minimum - noiseFloorDB) * (minimum < noiseFloorDB ? 0.5 : 0.1)
        let voiced = level > settings.thresholdDB && level > noiseFloorDB + settings.floorMarginDB
        let d = a.duration
        if voiced {
            if voicedRun == 0 { firstVoiced = a.timestamp }
            voicedRun += d
            silentRun = 0
            lastVoicedEnd = a.endTimestamp
        } else {
            silentRun += d
            if !speaking { voicedRun = 0 }
        }
        context.emit(frame)
        if !speaking && voicedRun >= .ms(settings.minSpeechMs) {
            speaking = true
            context.emit(.userStartedSpeaking(at: max(0, firstVoiced - .ms(settings.prefixPaddingMs))))
        } else if speaking && silentRun >= .ms(settings.minSilenceMs) {
            speaking = false
            voicedRun = 0
            context.emit(.userStoppedSpeaking(speechEnd: lastVoicedEnd))
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        if case .endOfStream = frame, speaking {
            // The input ended mid-utterance: close the turn so it is answered.
            speaking = false
            voicedRun = 0
            context.emit(.userStoppedSpeaking(speechEnd: lastVoicedEnd))
        }
        return .forward
    }

    public static let registration = StageRegistration(
        provider: "energy", kinds: [.vad],
        summary: "Energy VAD with adaptive noise floor (no model; use webrtc or silero for speech-model accuracy)",
        options: [
            .double("threshold_db", -90 ... 0, default: -45, help: "absolute level a voiced frame must exceed (dBFS)"),
            .double("floor_margin_db", 0 ... 40, default: 12, help: "how far above the noise floor speech must be"),
            .int("min_speech_ms", 0 ... 2000, default: 60, help: "voiced time before speech start is declared"),
            .int("min_silence_ms", 0 ... 5000, default: 300, help: "silence before speech end is declared"),
            .int("prefix_padding_ms", 0 ... 2000, default: 200, help: "how far before onset the start is stamped"),
        ]
    ) { request in
        var s = Settings()
        s.thresholdDB = request.options.double("threshold_db")
        s.floorMarginDB = request.options.double("floor_margin_db")
        s.minSpeechMs = request.options.int("min_speech_ms")
        s.minSilenceMs = request.options.int("min_silence_ms")
        s.prefixPaddingMs = request.options.int("prefix_padding_ms")
        return EnergyVAD(settings: s)
    }
}
