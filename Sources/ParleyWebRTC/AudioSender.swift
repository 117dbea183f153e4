// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyRTC

/// The send half of the audio transceiver: PCM → Opus → RTP (RFC 3550, RFC 7587) → SRTP, and
/// the RTCP sender report about it. Confined to the peer connection's queue.
///
/// - Random SSRC, initial sequence number and timestamp (RFC 3550 §5.1); the timestamp
///   advances 960 per 20 ms frame on the 48 kHz clock whether the frame is sent or not.
/// - Marker bit on the first packet of a talkspurt (RFC 3551 §4.1, RFC 7587 §4.2): the first
///   packet of the stream and the first after a DTX gap or dropped frames.
/// - Header extensions in the one-byte form (RFC 8285 §4.2) when negotiated: the section's
///   mid (RFC 9143 §15, so a BUNDLE receiver can route the stream before it knows the SSRC)
///   and the frame's audio level (RFC 6464, LiveKit's active-speaker input), and the capture
///   time (abs-capture-time) on the first packet of a talkspurt and at least once a second,
///   libwebrtc's AbsoluteCaptureTimeSender rule: receivers extrapolate in between.
/// - With `a=rtcp-fb:<pt> nack` negotiated, the last second of sent packets is kept (as
///   protected on the wire: libsrtp2 will not protect a sequence number twice) to answer
///   the peer's Generic NACKs (RFC 4585 §6.2.1; livekit-protocol.md §7 recommends it).
@_spi(Benchmarks) public final class AudioSender {
    let ssrc: UInt32
    let cname: String
    private let encoder: OpusEncoder
    private var sequenceNumber: UInt16
    /// The sequence number the next packet sent will carry.
    var nextSequenceNumber: UInt16 { sequenceNumber }
    private var timestamp: UInt32
    private var talkspurtStart = true
    private var lastSendTime: ContinuousClock.Instant?
    private var lastSendTimestamp: UInt32 = 0
    private(set) var stats = AudioSenderStats()
    /// The packet being built and protected, reused from frame to frame (no allocation per
    /// packet; the caller is done with the returned bytes before the next frame).
    private var outbound = SRTPPacketBuffer()
    private var opus = [UInt8](repeating: 0, count: 1275)
    /// Compact NTP time of our recent SRs, to recognise echoes (RFC 3550 §6.4.1 LSR).
    private var sentReports: [UInt32] = []
    /// Set from the negotiated section (nil: not negotiated, or the peer does not take it).
    @_spi(Benchmarks) public var midExtension: (id: UInt8, mid: String)? {
        didSet {
            midElement = midExtension.flatMap { ext in
                // RFC 9143 §15 in the one-byte form: 1–16 bytes.
                (1...16).contains(ext.mid.utf8.count) ? RTPHeaderExtension(id: ext.id, value: Array(ext.mid.utf8)) : nil
            }
        }
    }
    @_spi(Benchmarks) public var audioLevelExtensionID: UInt8? {
        didSet { audioLevelElement = audioLevelExtensionID.map { RTPHeaderExtension(id: $0, value: [0]) } }
    }
    var absCaptureTimeExtensionID: UInt8?
    /// The header extension elements of the packet being built. The list keeps its capacity
    /// and the mid and audio-level elements keep their value arrays (the level byte is
    /// rewritten in place), so a header costs no allocation per frame; only the capture time,
    /// sent at most once a second, builds a new element.
    private var extensionElements: [RTPHeaderExtension] = []
    private var midElement: RTPHeaderExtension?
    private var audioLevelElement: RTPHeaderExtension?
    private var lastCaptureTimeSent: ContinuousClock.Instant?
    /// Packets kept for retransmission while NACK is negotiated (nil: not negotiated).
    private(set) var retransmissions: RTPRetransmissionBuffer?

    @_spi(Benchmarks) public init(settings: OpusEncoderSettings, cname: String) throws(OpusError) {
        encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .voip, settings: settings)
        extensionElements.reserveCapacity(3)
        ssrc = UInt32.random(in: 1...UInt32.max)
        sequenceNumber = UInt16.random(in: 0...UInt16.max)
        timestamp = UInt32.random(in: 0...UInt32.max)
        self.cname = cname
        stats.ssrc = ssrc
    }

    /// Encodes one 20 ms frame; returns the SRTP packet to send, or nil (not connected, DTX,
    /// error). The bytes are the sender's reused buffer: send them before the next frame and
    /// keep no reference (that would cost a copy-on-write allocation, see `SRTPPacketBuffer`).
    @_spi(Benchmarks) public func packetize(
        _ samples: [Int16], payloadType: UInt8?, srtp: SRTPSession?, now: ContinuousClock.Instant
    ) -> [UInt8]? {
        stats.framesPushed += 1
        defer { timestamp &+= 960 }
        guard let payloadType, let srtp else {
            stats.framesDroppedNotConnected += 1
            talkspurtStart = true
            return nil
        }
        stats.payloadType = payloadType
        let encoder = self.encoder
        let result: Result<Int, OpusError> = samples.withUnsafeBufferPointer { pcm in
            opus.withUnsafeMutableBytes { out in
                do throws(OpusError) { return .success(try encoder.encode(pcm, frameSize: 960, into: out)) } catch { return .failure(error) }
            }
        }
        guard case .success(let length) = result else {
            stats.encodeErrors += 1
            return nil
        }
        if length <= 2 {
            stats.framesDTX += 1
            talkspurtStart = true
            return nil
        }
        // Emptied first, so the elements' value arrays are referenced only by the sender
        // again and the level byte below is written in place.
        extensionElements.removeAll(keepingCapacity: true)
        if let midElement { extensionElements.append(midElement) }
        if audioLevelElement != nil {
            let level = RTPAudioLevel.level(samples)
            audioLevelElement?.value[0] = RTPAudioLevel.elementValue(level: level)
            stats.lastAudioLevel = level
            if let audioLevelElement { extensionElements.append(audioLevelElement) }
        }
        if let absCaptureTimeExtensionID, talkspurtStart || lastCaptureTimeSent.map({ now - $0 >= .seconds(1) }) ?? true {
            // The frame was captured just now (pushed in real time), on our NTP clock.
            let captureTime = RTPAbsoluteCaptureTime(captureTime: NTPTime.now())
            extensionElements.append(captureTime.headerExtension(id: absCaptureTimeExtensionID))
            lastCaptureTimeSent = now
            stats.captureTimesSent += 1
        }
        let header = RTPHeader(
            marker: talkspurtStart, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc,
            extensions: extensionElements)
        do throws(RTPError) {
            try outbound.setRTP(header: header, payload: opus[0..<length])
        } catch {
            stats.encodeErrors += 1
            return nil
        }
        do throws(SRTPError) {
            try outbound.protectRTP(with: srtp)
        } catch {
            stats.sendFailures += 1
            return nil
        }
        retransmissions?.store(sequenceNumber: sequenceNumber, packet: outbound.bytes, now: now)
        talkspurtStart = false
        sequenceNumber &+= 1
        stats.packetsSent += 1
        stats.octetsSent += length
        lastSendTime = now
        lastSendTimestamp = timestamp
        return outbound.bytes
    }

    /// The SR for this interval (RFC 3550 §6.4.1) with `reports` about what we receive; nil before the first packet.
    func senderReport(reports: [RTCPReportBlock], now: ContinuousClock.Instant) -> RTCPSenderReport? {
        guard let lastSendTime else { return nil }
        let ntp = NTPTime.now()
        let elapsed = now - lastSendTime
        let elapsedSamples = UInt32(truncatingIfNeeded: Int64(elapsed.components.seconds) * 48_000
            + Int64(elapsed.components.attoseconds / 20_833_333_333_333))
        stats.senderReportsSent += 1
        sentReports.append(NTPTime.compact(ntp))
        if sentReports.count > 16 { sentReports.removeFirst() }
        return RTCPSenderReport(
            ssrc: ssrc, ntpTime: ntp, rtpTime: lastSendTimestamp &+ elapsedSamples,
            packetCount: UInt32(truncatingIfNeeded: stats.packetsSent), octetCount: UInt32(truncatingIfNeeded: stats.octetsSent),
            reports: reports)
    }

    /// Keeps sent packets for NACKs while `enabled` (the negotiated `a=rtcp-fb:<pt> nack`).
    @_spi(Benchmarks) public func setRetransmission(enabled: Bool) {
        if enabled {
            if retransmissions == nil { retransmissions = RTPRetransmissionBuffer() }
        } else {
            retransmissions = nil
        }
    }

    /// A Generic NACK about our stream (RFC 4585 §6.2.1): every requested packet still held
    /// goes to `resend`, as it was first sent. Without NACK negotiated it is only counted.
    func handle(nack: RTCPGenericNACK, now: ContinuousClock.Instant, resend: ([UInt8]) -> Void) {
        guard nack.mediaSSRC == ssrc else { return }
        stats.nacksReceived += 1
        guard let retransmissions else {
            stats.nacksIgnored += 1
            return
        }
        let (requested, resent) = retransmissions.answer(nack, now: now) { packet in resend(Array(packet)) }
        stats.retransmissionsRequested += requested
        stats.packetsRetransmitted += resent
        stats.retransmissionsMissing += requested - resent
    }

    /// A report block about our stream from the peer's SR or RR.
    func handle(report: RTCPReportBlock) {
        guard report.ssrc == ssrc else { return }
        stats.receiverReportsReceived += 1
        stats.remoteFractionLost = Double(report.fractionLost) / 256
        stats.remoteCumulativeLost = report.cumulativeLost
        stats.remoteJitterSamples = report.jitter
        if report.lastSR != 0, sentReports.contains(report.lastSR) {
            let arrival = NTPTime.compact(NTPTime.now())
            let rtt = arrival &- report.lastSR &- report.delaySinceLastSR
            // 16.16 fixed point seconds; a value past 2^31 is a clock step or garbage.
            if rtt < 0x8000_0000 {
                stats.roundTripTime = .nanoseconds(Int64(rtt) * 1_000_000_000 / 65_536)
            }
        }
    }
}
