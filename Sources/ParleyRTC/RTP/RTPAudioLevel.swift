// SPDX-License-Identifier: Apache-2.0

/// The client-to-mixer audio level of RFC 6464: one byte per packet, `V` (voice activity) in
/// the top bit and the level in -dBov (0 = full scale, 127 = silence or quieter) below it.
/// LiveKit's SFU ranks active speakers by it (livekit-protocol.md §7), so a participant
/// that never sends it never shows as speaking.
///
/// The level is the frame's RMS relative to the overload point (RFC 6464 §3: "-dBov"), the
/// way libwebrtc's RmsLevel computes it: 10·log10(mean square / 32768²), rounded, clamped to
/// 0…127. A full-scale square wave is 0; a full-scale sine is 3.
public enum RTPAudioLevel {
    /// Without a real voice activity detector the V bit is an energy test: at least -50 dBov
    /// (a normal speaking level sits around -20 to -40; line noise and comfort noise below).
    public static let voiceActivityThreshold: UInt8 = 50

    /// The RFC 6464 level (0…127) of 16-bit PCM samples.
    public static func level(_ samples: UnsafeBufferPointer<Int16>) -> UInt8 {
        guard !samples.isEmpty else { return 127 }
        var sum: Double = 0
        for sample in samples {
            let value = Double(sample)
            sum += value * value
        }
        let meanSquare = sum / Double(samples.count)
        guard meanSquare > 0 else { return 127 }
        let dBov = 10 * log10(meanSquare / (32768.0 * 32768.0))
        let level = (-dBov).rounded()
        return UInt8(min(127, max(0, level)))
    }

    public static func level(_ samples: [Int16]) -> UInt8 {
        samples.withUnsafeBufferPointer { level($0) }
    }

    /// The extension element for a frame: level and the energy-based V bit.
    public static func headerExtension(id: UInt8, samples: [Int16]) -> RTPHeaderExtension {
        RTPHeaderExtension(id: id, value: [elementValue(level: level(samples))])
    }

    /// The element's one byte for a level (RFC 6464 §3): the energy-based V bit and the
    /// level. For a sender that rewrites one element in place instead of building one per frame.
    public static func elementValue(level: UInt8) -> UInt8 {
        (level <= voiceActivityThreshold ? 0x80 : 0) | min(level, 127)
    }

    /// Decodes an element's value: (voice activity, level), nil unless exactly one byte
    /// (RFC 6464 §3 one-byte form; a two-byte-header element may pad, so only the first byte counts).
    public static func decode<C: Collection>(_ value: C) -> (voiceActivity: Bool, level: UInt8)? where C.Element == UInt8 {
        guard let first = value.first else { return nil }
        return (first & 0x80 != 0, first & 0x7F)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
