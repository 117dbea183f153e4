// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// Audio the STT protocol test servers "recognise": each word is a pure tone, and the servers
/// name a run of non-silent audio after its pitch in 100 Hz steps (300 Hz → "three", 1200 Hz →
/// "twelve"; Tests/ProviderTestServers/stt_server_common.py). So what comes back proves that the
/// audio arrived, whole and in order, and the word timings can be checked against the exact
/// media times the tones were pushed at.
///
/// ```
///   lead silence │ tone 300 Hz │ gap │ tone 500 Hz │ gap │ tone 700 Hz │ tail silence
///                  "three"             "five"             "seven"
/// ```
public struct ToneSpeech {
    /// 16 kHz mono, 20 ms: what streaming STT stages take, so no converter sits in front.
    public static let format = AudioFormat(sampleRate: 16_000, channels: 1, frameDurationMs: 20)
    static let numberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                              "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
                              "eighteen", "nineteen", "twenty"]

    /// (tone Hz or nil for silence, milliseconds), in order.
    public var segments: [(hz: Int?, ms: Int)]
    /// Media time of the first sample.
    public var start: Nanos

    public init(segments: [(hz: Int?, ms: Int)], start: Nanos) {
        self.segments = segments
        self.start = start
    }

    /// `tones` as words of `wordMS`, `gapMS` apart, after `leadMS` and before `tailMS` of silence.
    public static func words(_ tones: [Int], start: Nanos, wordMS: Int = 240, gapMS: Int = 160, leadMS: Int = 200,
                             tailMS: Int = 60) -> ToneSpeech {
        var segments: [(hz: Int?, ms: Int)] = [(nil, leadMS)]
        for (i, hz) in tones.enumerated() {
            if i > 0 { segments.append((nil, gapMS)) }
            segments.append((hz, wordMS))
        }
        segments.append((nil, tailMS))
        return ToneSpeech(segments: segments, start: start)
    }

    /// Silence only.
    public static func silence(ms: Int, start: Nanos) -> ToneSpeech { ToneSpeech(segments: [(nil, ms)], start: start) }

    /// The word a test server names a tone of `hz` by.
    public static func word(forHz hz: Int) -> String {
        let step = Int((Double(hz) / 100).rounded())
        return (1 ... 20).contains(step) ? numberWords[step] : "tone\(hz)"
    }

    /// The words the servers should hear, in order.
    public var expectedWords: [String] { segments.compactMap { $0.hz.map(Self.word(forHz:)) } }

    /// Media time span of each tone, in order.
    public var wordSpans: [(start: Nanos, end: Nanos)] {
        var t = start
        var spans: [(Nanos, Nanos)] = []
        for segment in segments {
            let end = t + Nanos(segment.ms) * 1_000_000
            if segment.hz != nil { spans.append((t, end)) }
            t = end
        }
        return spans
    }

    public var durationMS: Int { segments.reduce(0) { $0 + $1.ms } }
    public var end: Nanos { start + Nanos(durationMS) * 1_000_000 }
    public var sampleCount: Int { durationMS * Self.format.sampleRate / 1000 }

    /// The audio as 20 ms user frames with exact media timestamps (phase-continuous tones).
    public func frames(sequence: inout UInt64) -> [AudioFrame] {
        let rate = Self.format.sampleRate
        var samples: [Int16] = []
        samples.reserveCapacity(sampleCount)
        for segment in segments {
            let n = segment.ms * rate / 1000
            for i in 0 ..< n {
                guard let hz = segment.hz else { samples.append(0); continue }
                samples.append(Int16(8_000 * sin(2 * Double.pi * Double(hz) * Double(i) / Double(rate))))
            }
        }
        let perFrame = Self.format.samplesPerFrame
        let pool = AudioBufferPool(bufferCapacity: perFrame, preallocate: 0)
        var frames: [AudioFrame] = []
        var offset = 0
        while offset < samples.count {
            let count = min(perFrame, samples.count - offset)
            let buffer = pool.acquire()
            buffer.storage.update(repeating: 0, count: perFrame)
            samples.withUnsafeBufferPointer { buffer.storage.update(from: $0.baseAddress! + offset, count: count) }
            let timestamp = start + Nanos(offset) * 1_000_000_000 / Nanos(rate)
            frames.append(AudioFrame(buffer: buffer, format: Self.format, sampleCount: count, timestamp: timestamp,
                                     sequence: sequence, role: .user))
            sequence += 1
            offset += count
        }
        return frames
    }
}
