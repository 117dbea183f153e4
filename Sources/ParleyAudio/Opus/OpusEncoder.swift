// SPDX-License-Identifier: Apache-2.0

internal import COpus
import ParleyCore

/// Encodes interleaved 16-bit PCM into Opus packets (RFC 6716) with libopus.
///
/// ```
///   AudioFrame / Int16 PCM ──► encode ──► packet bytes ──► RTP payload (RFC 7587)
///   (frameSize × channels)                (1...~1275 bytes per 20 ms; ≤ 2 bytes = DTX, don't send)
/// ```
///
/// - **Formats:** 8, 12, 16, 24 or 48 kHz, mono or stereo; frames of 2.5, 5, 10, 20, 40, 60
///   (and 80, 100, 120) ms. WebRTC sends 48 kHz 20 ms frames (RFC 7587), Parley's default.
/// - **Hot path:** `encode(_:frameSize:into:)` and `encode(_:into:)` allocate nothing; they
///   check their arguments and call `opus_encode`. `encode(_:) -> [UInt8]` allocates the
///   returned array and is meant for tests and tools.
/// - **Delay:** decoded audio lags the input by `lookahead` samples (RFC 6716 §2: 2.5 ms plus
///   4 ms for the speech modes' analysis, 6.5 ms in all at 48 kHz with `.voip`/`.audio`).
///
/// **Thread confinement:** an encoder holds libopus state that changes with every packet, so
/// it is deliberately not `Sendable`: one encoder belongs to one stage on one pipeline loop
/// (or to one sending task). It may be created on one thread and handed to another before use,
/// but must never be used from two threads at once.
public final class OpusEncoder {
    public let sampleRate: Int
    public let channels: Int
    public let application: OpusApplication
    /// Samples per channel by which the decoded signal lags the input (`OPUS_GET_LOOKAHEAD`):
    /// decoded sample `i + lookahead` corresponds to input sample `i`. Exact for CELT; in the
    /// speech modes the `.voip` high-pass pre-filter shifts phase, so speech lines up 2-5
    /// samples earlier at 48 kHz (measured with libopus 1.3.1).
    public let lookahead: Int
    /// The settings last applied with `configure`.
    public private(set) var settings: OpusEncoderSettings

    private let state: OpaquePointer
    /// Zero-padded copy of a short final `AudioFrame` (a file's tail), sized for 120 ms.
    private let padScratch: UnsafeMutableBufferPointer<Int16>
    /// Output buffer for the allocating convenience `encode(_:) -> [UInt8]`.
    private let packetScratch: UnsafeMutableRawBufferPointer

    /// Creates an encoder and applies `settings` (the voice defaults unless told otherwise).
    public init(sampleRate: Int = 48_000, channels: Int = 1, application: OpusApplication = .voip,
                settings: OpusEncoderSettings = OpusEncoderSettings()) throws(OpusError) {
        try Opus.checkSampleRate(sampleRate, .createEncoder)
        try Opus.checkChannels(channels, .createEncoder)
        try settings.validate()
        var status: Int32 = 0
        let created = opus_encoder_create(Int32(sampleRate), Int32(channels), application.rawValue, &status)
        guard let st = created, status == OPUS_OK else {
            if let created { opus_encoder_destroy(created) }
            throw OpusError(status: status == OPUS_OK ? Int32(OPUS_ALLOC_FAIL) : status, .createEncoder,
                            "\(sampleRate) Hz, \(channels) ch, \(application)")
        }
        do throws(OpusError) {
            try Self.apply(settings, to: st)
        } catch {
            opus_encoder_destroy(st)
            throw error
        }
        var delay: Int32 = 0
        _ = copus_encoder_get_lookahead(st, &delay)
        self.state = st
        self.sampleRate = sampleRate
        self.channels = channels
        self.application = application
        self.lookahead = Int(delay)
        self.settings = settings
        padScratch = .allocate(capacity: Opus.maxFrameSamples(atSampleRate: sampleRate) * channels)
        padScratch.initialize(repeating: 0)
        packetScratch = .allocate(byteCount: Opus.recommendedMaxPacketBytes, alignment: 1)
    }

    deinit {
        opus_encoder_destroy(state)
        padScratch.deallocate()
        packetScratch.deallocate()
    }

    // MARK: Configuration

    /// Validates and applies all of `settings`. On failure the encoder keeps working with
    /// whatever subset was applied before the failing request, and `settings` is unchanged.
    public func configure(_ settings: OpusEncoderSettings) throws(OpusError) {
        try settings.validate()
        try Self.apply(settings, to: state)
        self.settings = settings
    }

    /// Changes only the given knobs (nil = keep). Cheap enough to call when RTCP reports a
    /// new loss rate or the congestion controller picks a new bitrate.
    public func configure(bitrate: Int? = nil, complexity: Int? = nil, fec: Bool? = nil,
                          packetLossPercent: Int? = nil, dtx: Bool? = nil, signal: OpusSignal? = nil,
                          vbr: Bool? = nil) throws(OpusError) {
        var s = settings
        if let bitrate { s.bitrate = bitrate }
        if let complexity { s.complexity = complexity }
        if let fec { s.fec = fec }
        if let packetLossPercent { s.packetLossPercent = packetLossPercent }
        if let dtx { s.dtx = dtx }
        if let signal { s.signal = signal }
        if let vbr { s.vbr = vbr }
        try configure(s)
    }

    private static func apply(_ s: OpusEncoderSettings, to state: OpaquePointer) throws(OpusError) {
        try check(copus_encoder_set_bitrate(state, Int32(s.bitrate)), "bitrate \(s.bitrate)")
        try check(copus_encoder_set_complexity(state, Int32(s.complexity)), "complexity \(s.complexity)")
        try check(copus_encoder_set_inband_fec(state, s.fec ? 1 : 0), "inband FEC")
        try check(copus_encoder_set_packet_loss_perc(state, Int32(s.packetLossPercent)),
                  "packet loss \(s.packetLossPercent) %")
        try check(copus_encoder_set_dtx(state, s.dtx ? 1 : 0), "DTX")
        try check(copus_encoder_set_signal(state, s.signal.rawValue), "signal \(s.signal)")
        try check(copus_encoder_set_vbr(state, s.vbr ? 1 : 0), "VBR")
    }

    private static func check(_ status: Int32, _ what: @autoclosure () -> String) throws(OpusError) {
        if status != OPUS_OK { throw OpusError(status: status, .configure, what()) }
    }

    // MARK: Encoding

    /// Encodes one frame of interleaved PCM into `out` and returns the packet's length in bytes.
    ///
    /// - Parameters:
    ///   - pcm: exactly `frameSize × channels` interleaved samples.
    ///   - frameSize: samples per channel; must be one of the `OpusFrameDuration`s at `sampleRate`.
    ///   - out: room for the packet; `Opus.recommendedMaxPacketBytes` always suffices. A smaller
    ///     buffer caps the instantaneous bitrate (libopus fits the packet into it).
    /// - Returns: bytes written. A result of 1 or 2 bytes means DTX: the packet carries no audio
    ///   and need not be sent (the receiver conceals the gap).
    /// - Throws: `badArgument` for a frame size or PCM length that does not fit,
    ///   `bufferTooSmall` when `out` cannot hold even a minimal packet.
    public func encode(_ pcm: UnsafeBufferPointer<Int16>, frameSize: Int,
                       into out: UnsafeMutableRawBufferPointer) throws(OpusError) -> Int {
        guard OpusFrameDuration(samples: frameSize, sampleRate: sampleRate) != nil else {
            throw OpusError(.badArgument, .encode,
                            "frame size \(frameSize) is not \(OpusFrameDuration.allowedList) at \(sampleRate) Hz")
        }
        guard pcm.count == frameSize * channels, let input = pcm.baseAddress else {
            throw OpusError(.badArgument, .encode,
                            "PCM holds \(pcm.count) samples, expected \(frameSize) × \(channels) channels")
        }
        guard let output = out.baseAddress, out.count > 0 else {
            throw OpusError(.bufferTooSmall, .encode, "output buffer is empty")
        }
        let capacity = Int32(clamping: out.count)
        let n = opus_encode(state, input, Int32(frameSize), output.assumingMemoryBound(to: UInt8.self), capacity)
        guard n >= 0 else {
            throw OpusError(status: n, .encode, "\(frameSize) samples into \(out.count) bytes")
        }
        return Int(n)
    }

    /// Encodes an `AudioFrame` into `out` without allocating. The frame's format must match the
    /// encoder's rate and channels and its `samplesPerFrame` must be an Opus frame size; a short
    /// final frame (`sampleCount < samplesPerFrame`) is zero-padded to the full frame.
    public func encode(_ frame: AudioFrame, into out: UnsafeMutableRawBufferPointer) throws(OpusError) -> Int {
        guard frame.format.sampleRate == sampleRate, frame.format.channels == channels else {
            throw OpusError(.badArgument, .encode,
                            "frame is \(frame.format.sampleRate) Hz/\(frame.format.channels) ch, encoder is "
                                + "\(sampleRate) Hz/\(channels) ch")
        }
        let frameSize = frame.format.samplesPerFrame
        guard OpusFrameDuration(samples: frameSize, sampleRate: sampleRate) != nil else {
            throw OpusError(.badArgument, .encode, "frames of \(frame.format) are not \(OpusFrameDuration.allowedList)")
        }
        // `frame` (a parameter) keeps its buffer alive for the duration of the call.
        let pcm = UnsafeBufferPointer(start: frame.buffer.storage, count: frame.interleavedCount)
        if frame.sampleCount == frameSize {
            return try encode(pcm, frameSize: frameSize, into: out)
        }
        guard frame.sampleCount < frameSize else {
            throw OpusError(.badArgument, .encode,
                            "frame has \(frame.sampleCount) samples per channel, format says \(frameSize)")
        }
        let total = frameSize * channels
        let present = frame.interleavedCount
        padScratch.baseAddress!.update(from: frame.buffer.storage, count: present)
        padScratch.baseAddress!.advanced(by: present).update(repeating: 0, count: total - present)
        return try encode(UnsafeBufferPointer(rebasing: padScratch[0..<total]), frameSize: frameSize, into: out)
    }

    /// Encodes an `AudioFrame` and returns the packet as a new array (allocates: for tests,
    /// tools and cold paths; the pipeline uses `encode(_:into:)`).
    public func encode(_ frame: AudioFrame) throws(OpusError) -> [UInt8] {
        let n = try encode(frame, into: packetScratch)
        return Array(UnsafeRawBufferPointer(rebasing: packetScratch[0..<n]))
    }

    // MARK: State

    /// Forgets the signal history (`OPUS_RESET_STATE`) but keeps the settings: call between
    /// unrelated streams (a new reply after an interruption) so the first packet does not
    /// predict from the old audio.
    public func reset() {
        _ = copus_encoder_reset_state(state)
    }

    /// The bitrate libopus is actually targeting, in bit/s (`OPUS_GET_BITRATE`).
    public var effectiveBitrate: Int {
        var v: Int32 = 0
        _ = copus_encoder_get_bitrate(state, &v)
        return Int(v)
    }

    /// Whether the last encoded frame was in DTX (no audio sent) (`OPUS_GET_IN_DTX`).
    public var isInDTX: Bool {
        var v: Int32 = 0
        _ = copus_encoder_get_in_dtx(state, &v)
        return v != 0
    }

    /// Final range-coder state of the last packet (`OPUS_GET_FINAL_RANGE`); equals the decoder's
    /// `finalRange` after decoding that packet when encoder and decoder agree bit for bit.
    public var finalRange: UInt32 {
        var v: UInt32 = 0
        _ = copus_encoder_get_final_range(state, &v)
        return v
    }

    /// The settings as libopus reports them back, for verifying that `configure` took effect.
    public func readBackSettings() throws(OpusError) -> OpusEncoderSettings {
        var bitrate: Int32 = 0, complexity: Int32 = 0, fec: Int32 = 0, loss: Int32 = 0, dtx: Int32 = 0
        var signal: Int32 = 0, vbr: Int32 = 0
        for (status, name) in [
            (copus_encoder_get_bitrate(state, &bitrate), "bitrate"),
            (copus_encoder_get_complexity(state, &complexity), "complexity"),
            (copus_encoder_get_inband_fec(state, &fec), "inband FEC"),
            (copus_encoder_get_packet_loss_perc(state, &loss), "packet loss"),
            (copus_encoder_get_dtx(state, &dtx), "DTX"),
            (copus_encoder_get_signal(state, &signal), "signal"),
            (copus_encoder_get_vbr(state, &vbr), "VBR"),
        ] where status != OPUS_OK {
            throw OpusError(status: status, .query, name)
        }
        return OpusEncoderSettings(bitrate: Int(bitrate), complexity: Int(complexity), fec: fec != 0,
                                   packetLossPercent: Int(loss), dtx: dtx != 0,
                                   signal: OpusSignal(rawValue: signal) ?? .auto, vbr: vbr != 0)
    }
}

/// Not `Sendable`, on purpose and explicitly: the libopus state is mutated by every call and
/// has no locking (see "Thread confinement" above). This stops a conformance being added later
/// by accident; region-based isolation still lets a freshly made encoder be sent to its owner.
@available(*, unavailable)
extension OpusEncoder: Sendable {}
