// SPDX-License-Identifier: Apache-2.0

/// What our outbound audio stream did (RTCOutboundRtpStreamStats + RTCRemoteInboundRtpStreamStats, in part).
public struct AudioSenderStats: Sendable, Hashable {
    public var ssrc: UInt32 = 0
    public var payloadType: UInt8?
    /// Frames pushed into the track.
    public var framesPushed = 0
    /// Frames pushed before SRTP was ready (dropped; the RTP timestamp still advanced).
    public var framesDroppedNotConnected = 0
    /// DTX frames not sent (1–2 byte Opus packets).
    public var framesDTX = 0
    public var encodeErrors = 0
    public var packetsSent = 0
    /// Payload octets (RFC 3550 §6.4.1 sender's octet count).
    public var octetsSent = 0
    public var sendFailures = 0
    public var senderReportsSent = 0
    /// From the peer's report blocks about our SSRC (RFC 3550 §6.4.1).
    public var remoteFractionLost: Double?
    public var remoteCumulativeLost: Int32?
    public var remoteJitterSamples: UInt32?
    /// RFC 3550 §6.4.1: arrival − LSR − DLSR of the last report block that echoed one of our SRs.
    public var roundTripTime: Duration?
    public var receiverReportsReceived = 0
    /// The RFC 6464 level (-dBov, 0…127) of the last frame sent with the audio-level extension.
    public var lastAudioLevel: UInt8?
    /// Packets that carried the abs-capture-time extension.
    public var captureTimesSent = 0
    /// Generic NACKs about our SSRC (RFC 4585 §6.2.1).
    public var nacksReceived = 0
    /// NACKs that came though NACK was not negotiated (nothing kept to resend).
    public var nacksIgnored = 0
    /// Sequence numbers the NACKs asked for, packets resent, and packets no longer held.
    public var retransmissionsRequested = 0
    public var packetsRetransmitted = 0
    public var retransmissionsMissing = 0

    public init() {}
}
