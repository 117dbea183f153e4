// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// A voice-activity detector on Silero VAD v6 (a small neural model) through sherpa-onnx, with
/// the same turn events as `WebRTCVADStage` and `EnergyVAD`.
///
/// Why Silero: a neural model tells speech from babble, music and non-stationary noise, where
/// the WebRTC GMM and the energy detector both fail (Tests/ParleyPluginTests: babble at 10 dB SNR
/// defeats both). It costs ~0.1 ms per 32 ms window, still far below real time.
///
/// How it decides. 16 kHz mono audio is cut into the model's 512-sample windows (a ring here,
/// so frames of any length work and nothing allocates per frame). sherpa-onnx applies
/// `threshold` and the hangovers: speech is declared after `min_speech_ms` of speech windows and
/// ends after `min_silence_ms` of non-speech ones. It exposes only that debounced state and the
/// finished segments, not per-window probabilities, so:
/// - `userStartedSpeaking(at:)` fires when the state turns on, stamped `min_speech_ms` + one
///   window before the current position (where the speech that turned it on began) minus
///   `prefix_padding_ms`;
/// - `userStoppedSpeaking(speechEnd:)` fires when the state turns off, stamped with the exact
///   end of the finished segment sherpa-onnx reports (sample-accurate), else `min_silence_ms`
///   before the current position.
/// An end of stream mid-utterance closes the turn. Audio passes through unchanged; agent audio
/// passes unanalysed.
///
/// Interruption: nothing to drop. Threading: the model is confined to the pipeline loop.
public final class SileroVADStage: Stage {
    public struct Settings: Sendable, Hashable {
        public var threshold: Double = 0.5
        public var minSpeechMs: Int = 250
        public var minSilenceMs: Int = 300
        public var prefixPaddingMs: Int = 200
        public init() {}
    }

    public let name: String
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { .control }
    public var inputCaps: AudioCaps { AudioCaps(sampleRates: [SileroVADModel.sampleRate], channels: [1], frameDurationMs: 20) }

    public let settings: Settings
    private let model: SileroVADModel
    /// One model window being filled (preallocated).
    private var window: [Float]
    private var filled = 0
    /// Samples fed to the model so far, and the media time of sample 0.
    private var consumed = 0
    private var origin: Nanos?
    private var speaking = false

    public init(name: String = "vad:silero", files: LocalEngineFiles, settings: Settings = Settings()) throws {
        var options = SileroVADModel.Options()
        options.threshold = Float(settings.threshold)
        options.minSpeechDuration = Float(settings.minSpeechMs) / 1000
        options.minSilenceDuration = Float(settings.minSilenceMs) / 1000
        options.bufferSeconds = 30
        self.name = name
        self.settings = settings
        model = try SileroVADModel(files: files, options: options)
        window = [Float](repeating: 0, count: SileroVADModel.windowSize)
    }

    public func start(_ context: StageContext) throws {
        let f = context.inputFormat
        guard f.channels == 1, f.sampleRate == SileroVADModel.sampleRate else {
            throw StageFailure(stage: name, message: "Silero VAD needs 16 kHz mono, got \(f)", isFatal: true)
        }
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let a) = frame else { return context.emit(frame) }
        context.emit(frame)
        guard a.role == .user else { return }
        if origin == nil { origin = a.timestamp }
        a.withSamples { samples in
            for sample in samples {
                window[filled] = Float(sample) / 32768
                filled += 1
                if filled == window.count {
                    filled = 0
                    consumed += window.count
                    step(model.accept(window), context)
                }
            }
        }
    }

    /// The model's state after one more window.
    private func step(_ inSpeech: Bool, _ context: StageContext) {
        let now = time(ofSample: consumed)
        if inSpeech, !speaking {
            speaking = true
            let onset = now - .ms(settings.minSpeechMs) - time(ofSample: SileroVADModel.windowSize, from: 0)
            context.emit(.userStartedSpeaking(at: max(origin ?? 0, onset - .ms(settings.prefixPaddingMs))))
        } else if !inSpeech, speaking {
            speaking = false
            context.emit(.userStoppedSpeaking(speechEnd: segmentEnd() ?? now - .ms(settings.minSilenceMs)))
        } else {
            _ = model.popSegments().isEmpty  // keep sherpa's queue short between turns
        }
    }

    /// The end of the last finished segment, if sherpa-onnx reported one.
    private func segmentEnd() -> Nanos? {
        model.popSegments().last.map { time(ofSample: $0.end) }
    }

    private func time(ofSample index: Int, from base: Nanos? = nil) -> Nanos {
        (base ?? origin ?? 0) + Nanos(index) * 1_000_000_000 / Nanos(SileroVADModel.sampleRate)
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        if case .endOfStream = frame, speaking {
            model.flush()
            speaking = false
            context.emit(.userStoppedSpeaking(speechEnd: segmentEnd() ?? time(ofSample: consumed)))
        }
        return .forward
    }

    public static let registration = StageRegistration(
        provider: "silero", kinds: [.vad],
        summary: "Silero VAD v6 through sherpa-onnx (local neural VAD, ~0.1 ms per 32 ms window)",
        options: [
            .double("threshold", 0.05 ... 0.95, default: 0.5, help: "speech probability above which a window is speech"),
            .int("min_speech_ms", 0 ... 2000, default: 250, help: "speech time before speech start is declared"),
            .int("min_silence_ms", 0 ... 5000, default: 300, help: "silence before speech end is declared"),
            .int("prefix_padding_ms", 0 ... 2000, default: 200, help: "how far before onset the start is stamped"),
        ],
        license: "MIT (Silero model), Apache-2.0 (sherpa-onnx)"
    ) { request in
        var s = Settings()
        s.threshold = request.options.double("threshold")
        s.minSpeechMs = request.options.int("min_speech_ms")
        s.minSilenceMs = request.options.int("min_silence_ms")
        s.prefixPaddingMs = request.options.int("prefix_padding_ms")
        return try SileroVADStage(files: try LocalEngineFiles.locate(environment: request.environment), settings: s)
    }
}
