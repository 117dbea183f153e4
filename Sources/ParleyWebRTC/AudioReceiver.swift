// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyCore
import ParleyRTC

/// The receive half of the audio transceiver: SRTP-checked RTP → `JitterBuffer` with the Opus
/// decoder → one 20 ms frame per `pull`; plus the RFC 3550 receiver statistics our report
/// blocks carry. Confined to the peer connection's queue.
///
/// With NACK negotiated (`a=rtcp-fb:<pt> nack`), sequence gaps are asked for again with
/// Generic NACKs (RFC 4585 §6.2.1) while the missing packet could still be played: within
/// the jitter buffer's current delay of the gap being seen (`RTPNACKGenerator`). A
/// retransmission that arrives in time goes into the jitter buffer like any late packet.
@_spi(Benchmarks) public final class AudioReceiver {
    private let buffer: JitterBuffer<OpusJitterBufferDecoder>
    private let epoch: ContinuousClock.Instant
    private(set) var stats = AudioReceiverStats()
    private var started = false
    // RFC 3550 §A.1/§A.3/§A.8 state.
    private var baseSequence: UInt32 = 0
    private var cycles: UInt32 = 0
    private var maxSequence: UInt16 = 0
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: Int = 0
    private var lastTransit: Int64?
    private var jitterQ4: Int64 = 0
    // Last SR from the peer (LSR/DLSR for our report block).
    private var lastSRCompact: UInt32 = 0
    private var lastSRArrival: ContinuousClock.Instant?
    /// Gap tracking for NACKs while negotiated.
    private var nack: RTPNACKGenerator?

    @_spi(Benchmarks) public init(config: JitterBufferConfig) throws(OpusError) {
        buffer = JitterBuffer(decoder: OpusJitterBufferDecoder(try OpusDecoder(sampleRate: 48_000, channels: 1)), config: config)
        epoch = .now
    }

    private func nanos(_ instant: ContinuousClock.Instant) -> Nanos {
        let d = instant - epoch
        return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    /// Whether frames are due (a packet has arrived).
    var isPlaying: Bool { started }

    @_spi(Benchmarks) public func receive(_ view: RTPPacketView, payloadType: UInt8, now: ContinuousClock.Instant) {
        guard view.payloadType == payloadType else {
            stats.unknownPayloadType += 1
            return
        }
        let arrival = nanos(now)
        if stats.ssrc != view.ssrc { nack?.reset() }
        updateStatistics(view, arrival: arrival)
        let requested = nack?.received(sequence: view.sequenceNumber, now: now, playoutDelay: playoutDelay) ?? false
        let lateBefore = requested ? buffer.stats.late : 0
        buffer.insert(
            ParleyAudio.RTPPacket(
                sequenceNumber: view.sequenceNumber, timestamp: view.timestamp, ssrc: view.ssrc, marker: view.marker,
                payloadType: view.payloadType, payload: view.payload, arrivalTime: arrival),
            now: arrival)
        if requested {
            // Recovered only if the jitter buffer could still play it.
            if buffer.stats.late == lateBefore { stats.packetsRecoveredByNACK += 1 } else { stats.retransmissionsTooLate += 1 }
        }
        started = true
    }

    /// Turns NACK generation on or off (the negotiated `a=rtcp-fb:<pt> nack`).
    func setNACK(enabled: Bool) {
        if !enabled {
            nack = nil
        } else if nack == nil {
            nack = RTPNACKGenerator()
        }
    }

    /// How long until a packet found missing now would be played: the buffer's current delay
    /// once playing, its target before that, the configured initial delay before any estimate.
    private var playoutDelay: Duration {
        let stats = buffer.stats
        let delay = stats.currentDelay > 0 ? stats.currentDelay : stats.targetDelay > 0 ? stats.targetDelay : buffer.config.initialDelay
        return .nanoseconds(delay)
    }

    /// The NACK to send now for the peer's stream (RFC 4585 §6.2.1), if packets are missing
    /// and can still be played; `rtt` is our best round-trip estimate (nil: the default).
    func dueNACK(senderSSRC: UInt32, now: ContinuousClock.Instant, rtt: Duration?) -> RTCPGenericNACK? {
        guard var generator = nack, let ssrc = stats.ssrc else { return nil }
        let lost = generator.due(now: now, rtt: rtt)
        nack = generator
        guard !lost.isEmpty else { return nil }
        stats.nacksSent += 1
        stats.nackRequests += lost.count
        return RTCPGenericNACK(senderSSRC: senderSSRC, mediaSSRC: ssrc, lost: lost)
    }

    /// The RFC 6464 level the packet carried (the audio-level extension's value).
    func noteAudioLevel<C: Collection>(_ value: C) where C.Element == UInt8 {
        guard let decoded = RTPAudioLevel.decode(value) else { return }
        stats.lastAudioLevel = decoded.level
    }

    /// The abs-capture-time the packet carried (8 or 16 bytes; other lengths are ignored).
    func noteCaptureTime(_ value: ArraySlice<UInt8>) {
        guard let decoded = RTPAbsoluteCaptureTime(value) else { return }
        stats.lastCaptureTime = decoded.captureTime
        stats.captureTimesReceived += 1
    }

    @_spi(Benchmarks) public func pull(now: ContinuousClock.Instant) -> AudioFrame {
        let frame = buffer.pull(now: nanos(now))
        stats.framesDelivered += 1
        return frame.audio
    }

    var snapshot: AudioReceiverStats {
        var copy = stats
        copy.jitterBuffer = buffer.stats
        copy.nack = nack?.stats
        return copy
    }

    func handle(senderReport: RTCPSenderReport, now: ContinuousClock.Instant) {
        stats.senderReportsReceived += 1
        lastSRCompact = senderReport.compactNTP
        lastSRArrival = now
    }

    /// Our report block about the peer's stream (RFC 3550 §6.4.1, §A.3); nil before any packet.
    func reportBlock(now: ContinuousClock.Instant) -> RTCPReportBlock? {
        guard let ssrc = stats.ssrc else { return nil }
        let extended = cycles | UInt32(maxSequence)
        let expected = extended &- baseSequence &+ 1
        let lost = Int64(expected) - Int64(stats.packetsReceived)
        let expectedInterval = Int64(expected &- expectedPrior)
        let receivedInterval = Int64(stats.packetsReceived - receivedPrior)
        expectedPrior = expected
        receivedPrior = stats.packetsReceived
        let lostInterval = expectedInterval - receivedInterval
        let fraction = expectedInterval == 0 || lostInterval <= 0 ? 0 : UInt8(min(255, (lostInterval << 8) / expectedInterval))
        var dlsr: UInt32 = 0
        if let lastSRArrival {
            let d = now - lastSRArrival
            dlsr = UInt32(truncatingIfNeeded: d.components.seconds * 65_536 + d.components.attoseconds / 15_258_789_062_500)
        }
        stats.receiverReportsSent += 1
        return RTCPReportBlock(
            ssrc: ssrc, fractionLost: fraction, cumulativeLost: Int32(clamping: max(0, lost)),
            extendedHighestSequence: extended, jitter: UInt32(jitterQ4 >> 4), lastSR: lastSRCompact, delaySinceLastSR: dlsr)
    }

    private func updateStatistics(_ view: RTPPacketView, arrival: Nanos) {
        let sequence = view.sequenceNumber
        if stats.ssrc != view.ssrc {
            stats.ssrc = view.ssrc
            baseSequence = UInt32(sequence)
            maxSequence = sequence
            cycles = 0
            expectedPrior = 0
            receivedPrior = stats.packetsReceived
            stats.packetsReceived = 0
            lastTransit = nil
            jitterQ4 = 0
        } else {
            let delta = sequence &- maxSequence
            if delta > 0 && delta < 0x8000 {
                if sequence < maxSequence { cycles &+= 1 << 16 }
                maxSequence = sequence
            }
        }
        stats.packetsReceived += 1
        stats.octetsReceived += view.payload.count
        stats.extendedHighestSequence = cycles | UInt32(maxSequence)
        let expected = Int64(stats.extendedHighestSequence &- baseSequence) + 1
        stats.packetsLost = Int32(clamping: max(0, expected - Int64(stats.packetsReceived)))
        // RFC 3550 §A.8: J += (|D| − J) / 16, in timestamp units (48 kHz), kept ×16.
        let arrivalUnits = arrival * 48 / 1_000_000
        let transit = arrivalUnits - Int64(view.timestamp)
        if let lastTransit {
            var d = transit - lastTransit
            d = Int64(Int32(truncatingIfNeeded: d)).magnitude > 0 ? Int64(Int32(truncatingIfNeeded: d)) : 0
            jitterQ4 += abs(d) - ((jitterQ4 + 8) >> 4)
        }
        lastTransit = transit
        stats.jitter = UInt32(jitterQ4 >> 4)
    }
}
