// SPDX-License-Identifier: Apache-2.0

/// The frame durations an Opus encoder can produce in one packet.
///
/// RFC 6716 §2.1.4 allows Opus frames of 2.5, 5, 10, 20, 40 and 60 ms; libopus ≥ 1.2 also
/// packs 80, 100 and 120 ms packets (several frames in one code-3 packet, RFC 6716 §3.2.5). WebRTC
/// and LiveKit send 20 ms packets (SDP `ptime`, RFC 7587), which is Parley's default.
///
/// Every duration is a whole number of 2.5 ms units, and every rate Opus supports is a
/// multiple of 400 Hz, so `samples(atSampleRate:)` is always exact.
public enum OpusFrameDuration: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    // Raw value: duration in 2.5 ms units.
    case ms2_5 = 1
    case ms5 = 2
    case ms10 = 4
    case ms20 = 8
    case ms40 = 16
    case ms60 = 24
    case ms80 = 32
    case ms100 = 40
    case ms120 = 48

    /// Samples per channel in one frame of this duration at `sampleRate`.
    public func samples(atSampleRate sampleRate: Int) -> Int { sampleRate / 400 * rawValue }

    public var milliseconds: Double { Double(rawValue) * 2.5 }

    /// The duration whose frame at `sampleRate` holds exactly `samples` samples per channel.
    public init?(samples: Int, sampleRate: Int) {
        guard sampleRate > 0, sampleRate % 400 == 0, samples > 0, samples % (sampleRate / 400) == 0,
              let d = OpusFrameDuration(rawValue: samples / (sampleRate / 400))
        else { return nil }
        self = d
    }

    /// The list quoted in error messages.
    static let allowedList = "2.5, 5, 10, 20, 40, 60, 80, 100 or 120 ms"

    public var description: String {
        let ms = milliseconds
        return ms == ms.rounded() ? "\(Int(ms)) ms" : "\(ms) ms"
    }
}
