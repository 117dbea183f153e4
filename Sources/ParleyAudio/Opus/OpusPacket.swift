// SPDX-License-Identifier: Apache-2.0

internal import COpus

/// Inspects Opus packets without decoding them: what a jitter buffer or an RTP depacketizer
/// needs to validate a payload, learn its duration (to size PLC for a loss) and decide whether
/// the packet after a gap can repair it with FEC.
///
/// Every function that reads past the TOC byte first checks the packet's framing against
/// RFC 6716 §3 (frame-count codes, frame lengths, the 120 ms limit) and reports a malformed or
/// empty packet as `OpusError.Code.invalidPacket`.
public enum OpusPacket {
    /// The coding mode of a packet (RFC 6716 §3.1, TOC `config`).
    public enum Mode: Sendable, Hashable {
        /// SILK only (linear prediction; speech at NB/MB/WB).
        case silk
        /// SILK below 8 kHz plus CELT above (SWB/FB speech).
        case hybrid
        /// CELT only (MDCT; music, low delay, high bitrates). Carries no FEC.
        case celt
    }

    /// The coded audio bandwidth of a packet (RFC 6716 §2, Table 1).
    public enum Bandwidth: Int, Sendable, Hashable, Comparable {
        case narrowband = 4_000
        case mediumband = 6_000
        case wideband = 8_000
        case superwideband = 12_000
        case fullband = 20_000

        /// Audio bandpass in Hz.
        public var bandpassHz: Int { rawValue }
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// Decoded TOC byte of a packet.
    public struct TOC: Sendable, Hashable {
        public var mode: Mode
        public var bandwidth: Bandwidth
        /// Duration of each Opus frame in the packet.
        public var frameDuration: OpusFrameDuration
        public var isStereo: Bool
        /// RFC 6716 §3.2 frame-count code `c`: 0 = one frame, 1 = two equal, 2 = two different, 3 = arbitrary.
        public var frameCountCode: Int

        /// Reads the first byte of a packet (every byte value is a valid TOC).
        public init(byte toc: UInt8) {
            // Switches rather than table lookups: array literals could allocate, and this runs per packet.
            let config = Int(toc >> 3)
            let index = config % 4
            switch config {
            case 0...11:
                mode = .silk
                switch config / 4 {
                case 0: bandwidth = .narrowband
                case 1: bandwidth = .mediumband
                default: bandwidth = .wideband
                }
                switch index {
                case 0: frameDuration = .ms10
                case 1: frameDuration = .ms20
                case 2: frameDuration = .ms40
                default: frameDuration = .ms60
                }
            case 12...15:
                mode = .hybrid
                bandwidth = config < 14 ? .superwideband : .fullband
                frameDuration = config % 2 == 0 ? .ms10 : .ms20
            default:
                mode = .celt
                switch (config - 16) / 4 {
                case 0: bandwidth = .narrowband
                case 1: bandwidth = .wideband
                case 2: bandwidth = .superwideband
                default: bandwidth = .fullband
                }
                switch index {
                case 0: frameDuration = .ms2_5
                case 1: frameDuration = .ms5
                case 2: frameDuration = .ms10
                default: frameDuration = .ms20
                }
            }
            isStereo = toc & 0x04 != 0
            frameCountCode = Int(toc & 0x03)
        }
    }

    /// A packet of at most this many bytes carries no audio (DTX, RFC 6716 §2.1.9): libopus
    /// returns 1- or 2-byte packets when the sender should skip transmission.
    public static let dtxMaxBytes = 2

    /// The TOC of `packet`; throws `invalidPacket` for an empty packet.
    public static func toc(_ packet: UnsafeRawBufferPointer) throws(OpusError) -> TOC {
        guard let first = packet.first else { throw OpusError(.invalidPacket, .inspectPacket, "packet is empty") }
        return TOC(byte: first)
    }

    /// Samples per channel the packet decodes to at `sampleRate` (`opus_packet_get_nb_samples`).
    /// Throws `invalidPacket` when the frame count is invalid or the duration exceeds 120 ms
    /// (RFC 6716 §3.4 R5).
    public static func sampleCount(_ packet: UnsafeRawBufferPointer, sampleRate: Int) throws(OpusError) -> Int {
        try Opus.checkSampleRate(sampleRate, .inspectPacket)
        guard let base = packet.baseAddress, packet.count > 0 else {
            throw OpusError(.invalidPacket, .inspectPacket, "packet is empty")
        }
        let n = opus_packet_get_nb_samples(base.assumingMemoryBound(to: UInt8.self), Int32(clamping: packet.count),
                                           Int32(sampleRate))
        guard n > 0 else {
            throw OpusError(status: n < 0 ? n : Int32(OPUS_INVALID_PACKET), .inspectPacket,
                            "cannot determine the duration of a \(packet.count)-byte packet")
        }
        guard n <= Int32(Opus.maxFrameSamples(atSampleRate: sampleRate)) else {
            throw OpusError(.invalidPacket, .inspectPacket, "packet lasts \(n) samples, more than 120 ms")
        }
        return Int(n)
    }

    /// Number of Opus frames in the packet (`opus_packet_get_nb_frames`).
    public static func frameCount(_ packet: UnsafeRawBufferPointer) throws(OpusError) -> Int {
        guard let base = packet.baseAddress, packet.count > 0 else {
            throw OpusError(.invalidPacket, .inspectPacket, "packet is empty")
        }
        let n = opus_packet_get_nb_frames(base.assumingMemoryBound(to: UInt8.self), Int32(clamping: packet.count))
        guard n > 0 else { throw OpusError(status: n < 0 ? n : Int32(OPUS_INVALID_PACKET), .inspectPacket) }
        return Int(n)
    }

    /// Whether the packet carries in-band FEC (an LBRR frame, RFC 6716 §2.1.7) for the frame
    /// *before* it, i.e. whether `OpusDecoder.decodeFEC(from:)` with this packet can repair a
    /// lost predecessor instead of falling back to plain concealment.
    ///
    /// Why it can be read without decoding: the SILK layer opens its range-coded data with
    /// header bits of probability ½ (RFC 6716 §4.2.3): one VAD flag per 20 ms SILK frame in
    /// the Opus frame, then the LBRR flag, for the mid channel and then (stereo) the side
    /// channel. A range coder's first equiprobable symbols are exactly the leading bits of
    /// the first byte (RFC 6716 §4.1), so the LBRR flag is a plain bit of the first frame's
    /// first byte. For 40/60 ms SILK frames the flag means "at least one of the previous
    /// packet's 20 ms frames has a copy" (per-frame flags follow, RFC 6716 §4.2.4). CELT-only
    /// packets never carry LBRR. The bit positions are checked against libopus's own FEC
    /// decoding for every layout in `OpusTests`. (libopus 1.3, Debian 12's version, has no
    /// public call for this; later releases add `opus_packet_has_lbrr`.)
    public static func hasLBRR(_ packet: UnsafeRawBufferPointer) throws(OpusError) -> Bool {
        let toc = try toc(packet)
        guard toc.mode != .celt else { return false }
        guard let base = packet.baseAddress else { return false }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var payloadOffset: Int32 = 0
        // Up to 48 frames per packet (RFC 6716 §3.2.5); stack-allocated, no heap traffic.
        // `result` is a negative libopus status, or the first byte of the first frame (0...255).
        let result = withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: 48) { frames in
            withUnsafeTemporaryAllocation(of: Int16.self, capacity: 48) { sizes in
                let n = opus_packet_parse(bytes, Int32(clamping: packet.count), nil, frames.baseAddress,
                                          sizes.baseAddress!, &payloadOffset)
                guard n > 0 else { return Int(n < 0 ? n : Int32(OPUS_INVALID_PACKET)) }
                guard sizes[0] > 0, let first = frames[0] else { return 0 }  // empty frame (DTX): no LBRR
                return Int(first.pointee)
            } as Int
        }
        guard result >= 0 else {
            throw OpusError(status: Int32(result), .inspectPacket, "\(packet.count)-byte packet does not parse")
        }
        let firstByte = UInt8(truncatingIfNeeded: result)
        // 20 ms SILK frames per Opus frame: 1 for 10/20 ms, 2 for 40 ms, 3 for 60 ms.
        let silkFrames = max(1, toc.frameDuration.rawValue / OpusFrameDuration.ms20.rawValue)
        // Bit positions counted from the most significant bit.
        let midLBRR = (firstByte >> (7 - silkFrames)) & 1
        if !toc.isStereo { return midLBRR != 0 }
        let sideLBRR = (firstByte >> (6 - 2 * silkFrames)) & 1
        return midLBRR != 0 || sideLBRR != 0
    }
}
