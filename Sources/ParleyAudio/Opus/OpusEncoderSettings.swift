// SPDX-License-Identifier: Apache-2.0

/// The run-time knobs of an `OpusEncoder`, validated as a whole and applied with
/// `OpusEncoder.configure(_:)`.
///
/// The defaults match what a WebRTC peer negotiates for a voice track (RFC 7587 parameters
/// `useinbandfec=1`, `usedtx=0`, mono speech at 32 kbit/s): FEC on so a receiver can repair
/// single losses from the next packet, sized for 10 % loss; the complexity is the cheap
/// `voiceComplexity`, chosen for the per-session CPU budget.
public struct OpusEncoderSettings: Sendable, Hashable, CustomStringConvertible {
    /// Target bitrate in bits per second, 500...512_000 (libopus's range). Speech is
    /// transparent-ish from ~24 kbit/s (wideband SILK/hybrid); WebRTC defaults to 32 kbit/s.
    public var bitrate: Int
    /// 0 (cheapest) ... 10 (best quality per bit). Mostly costs CPU, not bits: at 24 kbit/s mono
    /// speech, complexity 5 encodes a 20 ms frame in ~120 µs and 10 in ~230 µs (EPYC, libopus
    /// 1.3.1). 9 is WebRTC's desktop default; the default here is `voiceComplexity`.
    public var complexity: Int
    /// In-band FEC (RFC 6716 §2.1.7): each SILK/hybrid packet also carries a low-bitrate copy
    /// of the previous frame (an LBRR frame) that `OpusDecoder.decodeFEC` can use when that
    /// previous packet was lost. Has no effect in CELT-only mode.
    public var fec: Bool
    /// Expected packet loss, 0...100 %. libopus only emits LBRR frames when this is above 0,
    /// and spends more bits on them as it grows; the receiver's RTCP loss figure belongs here.
    public var packetLossPercent: Int
    /// Discontinuous transmission (RFC 6716 §2.1.9): during silence the encoder emits 1-byte
    /// packets the sender need not transmit, plus a comfort-noise update every 400 ms.
    public var dtx: Bool
    /// Content hint for mode selection.
    public var signal: OpusSignal
    /// Variable bitrate (libopus default). Off gives constant-size packets, which hides
    /// speech activity from an observer of packet sizes (RFC 6562) at a quality cost.
    public var vbr: Bool

    public init(bitrate: Int = 32_000, complexity: Int = OpusEncoderSettings.voiceComplexity, fec: Bool = true,
                packetLossPercent: Int = 10, dtx: Bool = false, signal: OpusSignal = .auto, vbr: Bool = true) {
        self.bitrate = bitrate
        self.complexity = complexity
        self.fec = fec
        self.packetLossPercent = packetLossPercent
        self.dtx = dtx
        self.signal = signal
        self.vbr = vbr
    }

    /// The default complexity, for a voice track: 1, the highest level at which one session's
    /// whole WebRTC media path (PCM → Opus → RTP → SRTP out, SRTP → RTP → jitter buffer → Opus
    /// decode in) stays within 0.5 % of a core, i.e. ≤ 100 µs per 20 ms frame.
    ///
    /// Measured with libopus 1.3.1 at the other defaults (32 kbit/s, FEC for 10 % loss) on a
    /// shared 2-core x86-64 machine. Encoder: thread CPU time per frame on speech (espeak-ng /
    /// `Examples/question.wav`), best of 7 runs. Path: that encoder (the costlier voice) plus
    /// the rest of the path, ≤ 30 µs (Benchmarks/MediaBenchmarks, "audio path send + receive
    /// without the encoder"); the benchmark's own tone signal gives 80 / 189 / 396 µs for the
    /// whole path at 0 / 5 / 9. PESQ: ITU-T P.862.2 wideband score of the decoded speech
    /// (`OpusComplexityTests` writes the WAVs).
    ///
    ///     complexity   encoder µs   path µs (% core)   PESQ-WB espeak / question   coded as
    ///          0        48 / 58        88 (0.44)           2.42 / 2.59           SILK wideband
    ///          1        52 / 63        93 (0.46)           2.50 / 2.68           SILK wideband
    ///          2        97 / 117      147 (0.74)           2.33 / 2.45           hybrid fullband
    ///          5       136 / 157      187 (0.94)           2.90 / 3.17           hybrid fullband
    ///          9       251 / 315      345 (1.7)            3.35 / 3.80           hybrid fullband
    ///
    /// Below 2, libopus codes this bitrate with FEC as SILK wideband (8 kHz of audio bandwidth,
    /// "HD voice"); 2 and 3 switch to hybrid fullband, which leaves SILK fewer bits; from 4 on
    /// SILK shapes its noise with frequency warping and interpolated LSFs (silk_setup_complexity),
    /// which is most of the PESQ gain. So the budget costs quality: where the CPU is there,
    /// complexity 5 (~1 % of a core) or 9 (~2 %) sound clearly better. Bits are the other lever
    /// and cost no CPU: complexity 1 at 48 kbit/s scores 2.81 / 2.84, at 64 kbit/s 3.18 / 3.31.
    public static let voiceComplexity = 1

    /// libopus accepts bitrates in this range (it would silently clamp others; Parley rejects them).
    public static let bitrateRange = 500...512_000
    public static let complexityRange = 0...10
    public static let packetLossRange = 0...100

    /// Throws `badArgument` naming the first out-of-range field.
    public func validate() throws(OpusError) {
        guard Self.bitrateRange.contains(bitrate) else {
            throw OpusError(.badArgument, .configure, "bitrate \(bitrate) bit/s is outside 500...512000")
        }
        guard Self.complexityRange.contains(complexity) else {
            throw OpusError(.badArgument, .configure, "complexity \(complexity) is outside 0...10")
        }
        guard Self.packetLossRange.contains(packetLossPercent) else {
            throw OpusError(.badArgument, .configure, "packet loss \(packetLossPercent) % is outside 0...100")
        }
    }

    public var description: String {
        let rate = bitrate % 1000 == 0 ? "\(bitrate / 1000) kbit/s" : "\(bitrate) bit/s"
        return "\(rate), complexity \(complexity), fec \(fec ? "on" : "off") (\(packetLossPercent) % loss), "
            + "dtx \(dtx ? "on" : "off"), signal \(signal), \(vbr ? "vbr" : "cbr")"
    }
}
