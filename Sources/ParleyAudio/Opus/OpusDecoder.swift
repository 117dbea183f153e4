// SPDX-License-Identifier: Apache-2.0

internal import COpus
import ParleyCore

/// Decodes Opus packets (RFC 6716) into interleaved 16-bit PCM with libopus, and fills gaps
/// left by lost packets.
///
/// ```
///   packet N arrived ──────────► decode(packet)               normal decoding
///   packet N lost, N+1 here ───► decodeFEC(from: N+1) ──► then decode(N+1)
///   packet N lost, nothing ────► conceal(frameSize:)           PLC (extrapolates the last audio)
/// ```
///
/// - **Formats:** the decoder's rate (8...48 kHz) and channel count are its output format and
///   need not match the encoder's: libopus decodes any packet at any supported rate (RFC 7587
///   §4.1: the RTP clock is always 48 kHz whatever is coded).
/// - **Loss:** `conceal` runs libopus's packet loss concealment. `decodeFEC` recovers the
///   lost frame from the low-bitrate copy (LBRR, RFC 6716 §2.1.7) that an FEC-enabled encoder
///   puts in the *following* packet; when that packet has none it conceals instead (and says
///   so in `stats`). Either way the frame size must be the duration that is missing
///   (`lastPacketDuration` is a good guess), or the decoder's state will be misaligned with the
///   next packet.
/// - **Bad input:** a malformed, empty or corrupt packet throws `invalidPacket`, is counted in
///   `stats.invalidPackets`, and leaves the decoder state untouched; conceal the gap as for a loss.
/// - **Hot path:** `decode`, `conceal` and `decodeFEC` allocate nothing.
///
/// **Thread confinement:** the decoder's state changes with every packet, so it is not
/// `Sendable`: one decoder belongs to one track's receive path (one pipeline loop or one
/// task). It may be handed to another thread before use but never used from two at once.
public final class OpusDecoder {
    public let sampleRate: Int
    public let channels: Int
    public private(set) var stats = OpusDecoderStats()

    private let state: OpaquePointer
    /// Mode of the last packet decoded normally; libopus cannot apply FEC after CELT-only audio.
    private var lastMode: OpusPacket.Mode?

    public init(sampleRate: Int = 48_000, channels: Int = 1) throws(OpusError) {
        try Opus.checkSampleRate(sampleRate, .createDecoder)
        try Opus.checkChannels(channels, .createDecoder)
        var status: Int32 = 0
        let created = opus_decoder_create(Int32(sampleRate), Int32(channels), &status)
        guard let st = created, status == OPUS_OK else {
            if let created { opus_decoder_destroy(created) }
            throw OpusError(status: status == OPUS_OK ? Int32(OPUS_ALLOC_FAIL) : status, .createDecoder,
                            "\(sampleRate) Hz, \(channels) ch")
        }
        state = st
        self.sampleRate = sampleRate
        self.channels = channels
    }

    deinit { opus_decoder_destroy(state) }

    /// Samples per channel in the longest packet Opus allows (120 ms) at this decoder's rate:
    /// size `decode`'s output buffer as `maxFrameSamples × channels` to accept any valid packet.
    public var maxFrameSamples: Int { Opus.maxFrameSamples(atSampleRate: sampleRate) }

    // MARK: Decoding

    /// Decodes one packet into `pcm` and returns the samples per channel written.
    ///
    /// - Parameter pcm: interleaved output; its length must be a multiple of `channels` and hold
    ///   the packet's duration (20 ms at 48 kHz mono: 960). `maxFrameSamples × channels` fits all.
    /// - Throws: `invalidPacket` (counted) for an empty or malformed packet, `bufferTooSmall`
    ///   when `pcm` is shorter than the packet, `badArgument` for a `pcm` of the wrong shape.
    public func decode(_ packet: UnsafeRawBufferPointer,
                       into pcm: UnsafeMutableBufferPointer<Int16>) throws(OpusError) -> Int {
        guard let data = packet.baseAddress, packet.count > 0 else {
            stats.invalidPackets += 1
            // libopus would treat an empty packet as a loss and conceal; a zero-length RTP
            // payload is a sender bug, so it is reported rather than silently concealed.
            throw OpusError(.invalidPacket, .decode, "packet is empty")
        }
        let (out, capacity) = try samplesPerChannel(pcm, .decode)
        let n = opus_decode(state, data.assumingMemoryBound(to: UInt8.self), Int32(clamping: packet.count),
                            out, Int32(clamping: capacity), 0)
        guard n >= 0 else {
            if n == OPUS_INVALID_PACKET { stats.invalidPackets += 1 }
            throw OpusError(status: n, .decode, "\(packet.count)-byte packet into room for \(capacity) samples/channel")
        }
        lastMode = OpusPacket.TOC(byte: data.load(as: UInt8.self)).mode
        stats.packetsDecoded += 1
        stats.decodedSamples += Int(n)
        return Int(n)
    }

    /// Fills a gap of `frameSize` samples per channel by packet loss concealment
    /// (`opus_decode` with no data), writing `frameSize × channels` samples into `pcm`.
    ///
    /// - Parameter frameSize: the missing duration, a multiple of 2.5 ms up to 120 ms.
    public func conceal(frameSize: Int, into pcm: UnsafeMutableBufferPointer<Int16>) throws(OpusError) -> Int {
        let out = try checkGap(frameSize, pcm, .conceal)
        let n = opus_decode(state, nil, 0, out, Int32(frameSize), 0)
        guard n >= 0 else { throw OpusError(status: n, .conceal, "\(frameSize) samples/channel") }
        stats.concealedFrames += 1
        stats.concealedSamples += Int(n)
        return Int(n)
    }

    /// Recovers a lost frame of `frameSize` samples per channel from the in-band FEC data of
    /// the packet that followed it (`opus_decode` with `decode_fec = 1`).
    ///
    /// Call it with the first packet after the gap, *then* decode that same packet normally.
    /// If `nextPacket` carries no LBRR data (FEC off at the sender, no expected loss configured,
    /// CELT-only mode, a frame the encoder judged inactive) or its frames are longer than the
    /// gap, libopus conceals instead; the output is still valid and `stats` records which
    /// happened (`OpusPacket.hasLBRR` tells beforehand). For a gap longer than one frame of
    /// `nextPacket`, only its last frame's worth is recovered; the rest is concealed.
    ///
    /// Throws `invalidPacket` when `nextPacket` is malformed; nothing is written and the gap
    /// still needs `conceal`. (The bad packet is counted when it is passed to `decode`.)
    public func decodeFEC(from nextPacket: UnsafeRawBufferPointer, frameSize: Int,
                          into pcm: UnsafeMutableBufferPointer<Int16>) throws(OpusError) -> Int {
        let out = try checkGap(frameSize, pcm, .decodeFEC)
        // A bad `nextPacket` is not counted in `stats.invalidPackets` here: the caller decodes
        // the same packet next (and that counts it), so counting here would count it twice.
        guard let data = nextPacket.baseAddress, nextPacket.count > 0 else {
            throw OpusError(.invalidPacket, .decodeFEC, "next packet is empty")
        }
        let hasFEC: Bool
        do throws(OpusError) {
            let toc = try OpusPacket.toc(nextPacket)
            hasFEC = try OpusPacket.hasLBRR(nextPacket)
                && frameSize >= toc.frameDuration.samples(atSampleRate: sampleRate)
                && lastMode != .celt
        } catch {
            throw OpusError(error.code, .decodeFEC, error.detail)
        }
        let n = opus_decode(state, data.assumingMemoryBound(to: UInt8.self), Int32(clamping: nextPacket.count),
                            out, Int32(frameSize), 1)
        guard n >= 0 else {
            throw OpusError(status: n, .decodeFEC,
                            "\(frameSize) samples/channel from a \(nextPacket.count)-byte packet")
        }
        if hasFEC {
            stats.fecRecoveredFrames += 1
            stats.fecRecoveredSamples += Int(n)
        } else {
            stats.fecUnavailable += 1
            stats.concealedFrames += 1
            stats.concealedSamples += Int(n)
        }
        return Int(n)
    }

    /// Decodes a packet into a buffer from `pool` and wraps it as an `AudioFrame` (no allocation
    /// once the pool is warm). The pool's buffers must hold the packet's samples × channels.
    public func decodeFrame(_ packet: UnsafeRawBufferPointer, pool: AudioBufferPool, timestamp: Nanos,
                            sequence: UInt64, role: MediaRole = .user) throws(OpusError) -> AudioFrame {
        let buffer = pool.acquire()
        let capacity = buffer.capacity - buffer.capacity % channels
        let n = try decode(packet, into: UnsafeMutableBufferPointer(start: buffer.storage, count: capacity))
        let format = AudioFormat(sampleRate: sampleRate, channels: channels, samplesPerFrame: n)
        return AudioFrame(buffer: buffer, format: format, timestamp: timestamp, sequence: sequence, role: role)
    }

    // MARK: Inspection

    /// Samples per channel `packet` decodes to at this decoder's rate, without decoding it
    /// (`opus_packet_get_nb_samples`). Validates the packet's framing; not counted in `stats`.
    public func packetSamples(_ packet: UnsafeRawBufferPointer) throws(OpusError) -> Int {
        try OpusPacket.sampleCount(packet, sampleRate: sampleRate)
    }

    /// Samples per channel of the last decoded or concealed frame (`OPUS_GET_LAST_PACKET_DURATION`):
    /// the natural size for concealing the next loss.
    public var lastPacketDuration: Int {
        var v: Int32 = 0
        _ = copus_decoder_get_last_packet_duration(state, &v)
        return Int(v)
    }

    /// Final range-coder state after the last packet (`OPUS_GET_FINAL_RANGE`); compare with the
    /// encoder's to check bit-exact transport in tests.
    public var finalRange: UInt32 {
        var v: UInt32 = 0
        _ = copus_decoder_get_final_range(state, &v)
        return v
    }

    /// Pitch period of the last decoded frame in samples (0 if unvoiced or CELT): a cheap
    /// voicing hint (`OPUS_GET_PITCH`).
    public var pitch: Int {
        var v: Int32 = 0
        _ = copus_decoder_get_pitch(state, &v)
        return Int(v)
    }

    /// Forgets the signal history (`OPUS_RESET_STATE`): call when a new stream starts on the
    /// same decoder (SSRC change), so concealment does not extrapolate the old one. Keeps `stats`.
    public func reset() {
        _ = copus_decoder_reset_state(state)
        lastMode = nil
    }

    // MARK: Argument checks

    /// `pcm`'s start and the samples per channel it can hold; throws if its length is not a
    /// positive multiple of `channels`.
    private func samplesPerChannel(_ pcm: UnsafeMutableBufferPointer<Int16>, _ operation: OpusError.Operation)
        throws(OpusError) -> (UnsafeMutablePointer<Int16>, Int)
    {
        guard let base = pcm.baseAddress, pcm.count > 0 else {
            throw OpusError(.bufferTooSmall, operation, "output buffer is empty")
        }
        guard pcm.count % channels == 0 else {
            throw OpusError(.badArgument, operation,
                            "output buffer holds \(pcm.count) samples, not a multiple of \(channels) channels")
        }
        return (base, pcm.count / channels)
    }

    /// A gap must be a positive multiple of 2.5 ms, at most 120 ms, and fit in `pcm`.
    private func checkGap(_ frameSize: Int, _ pcm: UnsafeMutableBufferPointer<Int16>,
                          _ operation: OpusError.Operation) throws(OpusError) -> UnsafeMutablePointer<Int16> {
        let unit = sampleRate / 400
        guard frameSize > 0, frameSize % unit == 0, frameSize <= maxFrameSamples else {
            throw OpusError(.badArgument, operation,
                            "frame size \(frameSize) is not a multiple of 2.5 ms (\(unit) samples) up to 120 ms "
                                + "at \(sampleRate) Hz")
        }
        let (base, capacity) = try samplesPerChannel(pcm, operation)
        guard capacity >= frameSize else {
            throw OpusError(.bufferTooSmall, operation,
                            "output holds \(capacity) samples/channel, gap is \(frameSize)")
        }
        return base
    }
}

/// Not `Sendable`, on purpose and explicitly: the libopus state is mutated by every call and
/// has no locking (see "Thread confinement" above). This stops a conformance being added later
/// by accident; region-based isolation still lets a freshly made decoder be sent to its owner.
@available(*, unavailable)
extension OpusDecoder: Sendable {}
