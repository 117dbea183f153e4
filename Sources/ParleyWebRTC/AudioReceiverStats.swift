// SPDX-License-Identifier: Apache-2.0

import ParleyAudio
import ParleyRTC

/// What the inbound audio stream did (RTCInboundRtpStreamStats, in part), plus the jitter buffer's own stats.
public struct AudioReceiverStats: Sendable, Hashable {
    public var ssrc: UInt32?
    public var packetsReceived = 0
    public var octetsReceived = 0
    /// RTP packets that failed SRTP authentication or did not parse.
    public var packetsDiscarded = 0
    /// Packets whose payload type was not the negotiated Opus one.
    public var unknownPayloadType = 0
    /// Extended highest sequence number received (RFC 3550 §A.1).
    public var extendedHighestSequence: UInt32 = 0
    /// Expected − received (RFC 3550 §6.4.1), never below 0.
    public var packetsLost: Int32 = 0
    /// Interarrival jitter in RTP timestamp units (RFC 3550 §6.4.1).
    public var jitter: UInt32 = 0
    public var framesDelivered = 0
    public var senderReportsReceived = 0
    public var receiverReportsSent = 0
    /// The RFC 6464 level (-dBov, 0…127) of the last packet that carried it, when negotiated.
    public var lastAudioLevel: UInt8?
    /// The last abs-capture-time received (64-bit NTP, the capturer's clock) and how many packets carried one.
    public var lastCaptureTime: UInt64?
    public var captureTimesReceived = 0
    /// Generic NACKs sent (RFC 4585 §6.2.1) and the sequence numbers they asked for (retries included).
    public var nacksSent = 0
    public var nackRequests = 0
    /// Asked-for packets that arrived in time for the jitter buffer to play them.
    public var packetsRecoveredByNACK = 0
    /// Asked-for packets that arrived after their playout time.
    public var retransmissionsTooLate = 0
    /// The gap tracker's own counters while NACK is negotiated.
    public var nack: RTPNACKGeneratorStats?
    public var jitterBuffer = JitterBufferStats()

    public init() {}
}
