// SPDX-License-Identifier: Apache-2.0

/// The shape of PCM audio on one edge of a pipeline: rate, channel count and how many
/// samples (per channel) one frame carries.
///
/// Parley's canonical format is 48 kHz mono in 20 ms frames (what WebRTC Opus carries), but
/// any rate and channel count is allowed; the engine converts between stages whose caps differ.
public struct AudioFormat: Sendable, Hashable, CustomStringConvertible {
    public var sampleRate: Int
    public var channels: Int
    /// Samples per channel in one frame.
    public var samplesPerFrame: Int

    public init(sampleRate: Int, channels: Int, samplesPerFrame: Int) {
        precondition(sampleRate > 0 && channels > 0 && samplesPerFrame > 0, "invalid AudioFormat")
        self.sampleRate = sampleRate
        self.channels = channels
        self.samplesPerFrame = samplesPerFrame
    }

    public init(sampleRate: Int, channels: Int = 1, frameDurationMs: Int) {
        self.init(sampleRate: sampleRate, channels: channels, samplesPerFrame: max(1, sampleRate * frameDurationMs / 1000))
    }

    /// 48 kHz mono, 20 ms: the WebRTC/Opus default.
    public static let standard = AudioFormat(sampleRate: 48_000, channels: 1, frameDurationMs: 20)

    /// Frame duration in nanoseconds (exact for rates that divide evenly).
    public var frameDurationNanos: Int64 { Int64(samplesPerFrame) * 1_000_000_000 / Int64(sampleRate) }
    public var frameDurationMs: Double { Double(samplesPerFrame) * 1000 / Double(sampleRate) }
    /// Interleaved samples in one frame.
    public var samplesPerFrameAllChannels: Int { samplesPerFrame * channels }

    public var description: String {
        let ms = frameDurationMs
        let msText = ms == ms.rounded() ? "\(Int(ms))" : String(format: "%.2f", ms)
        return "\(sampleRate) Hz/\(channels) ch/\(msText) ms"
    }
}

/// What audio a stage accepts on its input. `nil` members mean "any".
///
/// Like GStreamer caps: a stage states them, the engine negotiates and inserts converters
/// (channel mix → resample → re-frame) in front of the stage when the upstream format differs.
public struct AudioCaps: Sendable, Hashable, CustomStringConvertible {
    public var sampleRates: [Int]?
    public var channels: [Int]?
    /// Required frame duration in milliseconds (e.g. 10 for WebRTC VAD/speexdsp, 20 for Opus).
    public var frameDurationMs: Int?

    public init(sampleRates: [Int]? = nil, channels: [Int]? = nil, frameDurationMs: Int? = nil) {
        self.sampleRates = sampleRates
        self.channels = channels
        self.frameDurationMs = frameDurationMs
    }

    /// Accepts whatever arrives.
    public static let any = AudioCaps()

    public func accepts(_ format: AudioFormat) -> Bool {
        if let rates = sampleRates, !rates.contains(format.sampleRate) { return false }
        if let ch = channels, !ch.contains(format.channels) { return false }
        if let ms = frameDurationMs, format.samplesPerFrame != format.sampleRate * ms / 1000 { return false }
        return true
    }

    /// The format closest to `input` that these caps accept: keep what is allowed, pick the
    /// nearest allowed rate at or above the input (to avoid losing bandwidth), else the highest.
    public func fixate(from input: AudioFormat) -> AudioFormat {
        var rate = input.sampleRate
        if let rates = sampleRates, !rates.isEmpty, !rates.contains(rate) {
            rate = rates.filter { $0 >= input.sampleRate }.min() ?? rates.max()!
        }
        var ch = input.channels
        if let allowed = channels, !allowed.isEmpty, !allowed.contains(ch) {
            ch = allowed.contains(1) ? 1 : allowed.min()!
        }
        let samples: Int
        if let ms = frameDurationMs {
            samples = max(1, rate * ms / 1000)
        } else if rate == input.sampleRate {
            samples = input.samplesPerFrame
        } else {
            // Keep the same duration.
            samples = max(1, Int((Int64(input.samplesPerFrame) * Int64(rate)) / Int64(input.sampleRate)))
        }
        return AudioFormat(sampleRate: rate, channels: ch, samplesPerFrame: samples)
    }

    public var description: String {
        let r = sampleRates.map { $0.map(String.init).joined(separator: "|") + " Hz" } ?? "any rate"
        let c = channels.map { $0.map(String.init).joined(separator: "|") + " ch" } ?? "any channels"
        let f = frameDurationMs.map { "\($0) ms" } ?? "any frame size"
        return "\(r), \(c), \(f)"
    }
}
