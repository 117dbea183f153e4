// SPDX-License-Identifier: Apache-2.0

import CSpeexDSP
import ParleyCore

/// Noise suppression on user audio with speexdsp's preprocessor (Debian libspeexdsp,
/// BSD-3-Clause): a spectral-subtraction style denoiser with a running noise estimate.
///
/// Why speexdsp: it costs about 20 µs per 20 ms frame (0.1 % of a core) and has no model to ship. It mainly helps what
/// sits behind it that reacts to steady noise (the VAD, playback, recordings); measured on this
/// project it neither helped nor hurt STT, so keep `level_db` moderate in front of STT.
///
/// Options: `level_db` is the maximum attenuation of noise (speexdsp's default is −15 dB;
/// −25 dB removes more hiss at the price of some "musical" residue); `enabled: false` makes the
/// stage a passthrough (the engine still converts formats for it, so a config can toggle it
/// without changing the rest of the pipeline). AGC, the preprocessor's own VAD and dereverb
/// stay off: a level change would move the VAD's thresholds, and Parley has its own VAD stage.
///
/// Caps: mono, 16 kHz, 20 ms frames (320 samples). 16 kHz because that is where the speech
/// band is and what STT and VAD want next (so the 48 → 16 kHz step happens once, in front of
/// this stage); 20 ms because that is the pipeline's canonical framing (no re-framer) and gives
/// a finer spectral resolution than 10 ms at half the calls (speexdsp's own guidance is 10–20
/// ms frames). The preprocessor needs exactly one frame per call, so a file's short last frame
/// is zero-padded in a scratch buffer allocated once.
///
/// Delay: the preprocessor's overlap-add returns each frame one frame late, so the audio is
/// delayed by 20 ms (measured; 10 ms frames would halve that but cost 0.5–1 dB of SNR gain on
/// pink noise and force re-framers around the stage). As with the resampler's group delay,
/// timestamps are left as they are. Its noise estimate needs 1–2 s of audio to converge (noise
/// alone: −1.5 dB after the first second, −17 dB in the third), so a session's first words get
/// less suppression.
///
/// Measured (Tests/ParleyPluginTests): +7 to +9 dB SNR on white and +4.5 to +5 dB on pink noise
/// at 10 and 5 dB input SNR, about +1 dB on babble. Put in front of the WebRTC VAD it made turn
/// detection slightly worse (its residual "musical" noise reads as voiced), so don't use it to
/// help that VAD; it does help the energy VAD at moderate noise.
///
/// Samples are changed in place through `AudioFrame.withWritableSamples(pool:)` (a copy only
/// if another stage shares the buffer), so the hot path allocates nothing. Agent audio, if a
/// pipeline routes any through here, passes untouched so it cannot skew the noise estimate.
/// Interruption: nothing to do (it processes user audio only and holds no frame).
public final class SpeexNoiseSuppressor: Stage {
    public struct Settings: Sendable, Hashable {
        /// Maximum noise attenuation in dB (negative; 0 = none).
        public var levelDB: Int = -25
        public var enabled: Bool = true
        public init() {}
    }

    /// Failures creating the preprocessor.
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    public static let sampleRate = 16_000
    public static let frameDurationMs = 20

    public let name: String
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { .audio }
    public var inputCaps: AudioCaps {
        AudioCaps(sampleRates: [Self.sampleRate], channels: [1], frameDurationMs: Self.frameDurationMs)
    }

    public let settings: Settings
    private let frameSize: Int
    private let state: OpaquePointer?
    /// Zero-padded copy of a short frame (allocated once).
    private let scratch: UnsafeMutablePointer<Int16>

    public init(name: String = "ns:speex", settings: Settings = Settings()) throws(SetupError) {
        self.name = name
        self.settings = settings
        frameSize = Self.sampleRate * Self.frameDurationMs / 1000
        scratch = .allocate(capacity: frameSize)
        scratch.initialize(repeating: 0, count: frameSize)
        guard settings.enabled else {
            state = nil
            return
        }
        guard let st = speex_preprocess_state_init(Int32(frameSize), Int32(Self.sampleRate)) else {
            scratch.deallocate()
            throw SetupError(description: "speex_preprocess_state_init failed")
        }
        state = st
        Self.set(st, SPEEX_PREPROCESS_SET_DENOISE, 1)
        Self.set(st, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, Int32(settings.levelDB))
        Self.set(st, SPEEX_PREPROCESS_SET_AGC, 0)
        Self.set(st, SPEEX_PREPROCESS_SET_DEREVERB, 0)
        // The preprocessor's VAD is off by default; setting it (even to 0) prints a warning on stderr.
    }

    deinit {
        if let state { speex_preprocess_state_destroy(state) }
        scratch.deallocate()
    }

    private static func set(_ st: OpaquePointer, _ request: Int32, _ value: Int32) {
        var v = value
        _ = speex_preprocess_ctl(st, request, &v)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard let state, case .audio(var a) = frame, a.role == .user, a.sampleCount > 0 else {
            return context.emit(frame)
        }
        let n = frameSize
        a.withWritableSamples(pool: context.pool(forAtLeast: a.interleavedCount)) { samples in
            guard let base = samples.baseAddress else { return }
            if samples.count == n {
                _ = speex_preprocess_run(state, base)
            } else {
                let m = min(samples.count, n)
                scratch.update(from: base, count: m)
                (scratch + m).update(repeating: 0, count: n - m)
                _ = speex_preprocess_run(state, scratch)
                base.update(from: scratch, count: m)
            }
        }
        context.emit(.audio(a))
    }

    public static let registration = StageRegistration(
        provider: "speex", kinds: [.noiseSuppression],
        summary: "speexdsp noise suppression (16 kHz, 20 ms), ~20 µs per 20 ms frame",
        options: [
            .int("level_db", -60 ... 0, default: -25, help: "maximum noise attenuation in dB (speexdsp default −15)"),
            .bool("enabled", default: true, help: "false makes the stage a passthrough"),
        ],
        license: "BSD-3-Clause (speexdsp, Debian libspeexdsp)"
    ) { request in
        var s = Settings()
        s.levelDB = request.options.int("level_db")
        s.enabled = request.options.bool("enabled")
        return try SpeexNoiseSuppressor(settings: s)
    }
}
