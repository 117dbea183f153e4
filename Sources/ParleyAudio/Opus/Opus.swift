// SPDX-License-Identifier: Apache-2.0

internal import COpus

/// Limits and facts of the Opus codec that encoder, decoder and callers share.
public enum Opus {
    /// Rates libopus encodes and decodes natively (RFC 6716 §2: NB 8 kHz … FB 48 kHz). The RTP
    /// clock is always 48 kHz whatever the coded bandwidth (RFC 7587 §4.1).
    public static let supportedSampleRates: [Int] = [8_000, 12_000, 16_000, 24_000, 48_000]

    /// RTP clock rate for Opus, independent of the sample rate used (RFC 7587 §4.1).
    public static let rtpClockRate = 48_000

    /// Output buffer size that always holds one encoded packet: the size libopus's documentation
    /// recommends for `opus_encode`. (RFC 6716 §3.4 R2 caps a frame at 1275 bytes; libopus at
    /// its maximum of 510 kbit/s stays below this for any frame duration.) A smaller buffer
    /// is allowed but caps the instantaneous bitrate.
    public static let recommendedMaxPacketBytes = 4_000

    /// Samples per channel in the longest Opus packet (120 ms, RFC 6716 §3.4 R5) at `sampleRate`:
    /// the decode buffer size that accepts any valid packet.
    public static func maxFrameSamples(atSampleRate sampleRate: Int) -> Int {
        OpusFrameDuration.ms120.samples(atSampleRate: sampleRate)
    }

    /// The linked libopus version, e.g. "libopus 1.3.1", for logs and bug reports.
    public static var libraryVersion: String { String(cString: opus_get_version_string()) }

    static func checkSampleRate(_ sampleRate: Int, _ operation: OpusError.Operation) throws(OpusError) {
        guard supportedSampleRates.contains(sampleRate) else {
            throw OpusError(.badArgument, operation,
                            "sample rate \(sampleRate) Hz is not one of 8000, 12000, 16000, 24000 or 48000")
        }
    }

    static func checkChannels(_ channels: Int, _ operation: OpusError.Operation) throws(OpusError) {
        guard channels == 1 || channels == 2 else {
            throw OpusError(.badArgument, operation, "\(channels) channels; Opus streams are mono or stereo")
        }
    }
}
