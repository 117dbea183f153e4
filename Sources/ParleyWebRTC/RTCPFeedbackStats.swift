// SPDX-License-Identifier: Apache-2.0

/// RTCP feedback (RFC 4585, RFC 5104) a connection received and sent, beyond the per-stream
/// NACK counters in `AudioSenderStats` / `AudioReceiverStats`.
public struct RTCPFeedbackStats: Sendable, Hashable {
    /// PLIs received (RFC 4585 §6.3.1), and those about an SSRC we send.
    public var pliReceived = 0
    /// FIR entries received (RFC 5104 §4.3.1), and repeats of a command already seen
    /// (same sequence number, §4.3.1.2: not a new request).
    public var firReceived = 0
    public var firRepeated = 0
    /// Requests handed to `onKeyframeRequest` (PLIs + new FIRs about our SSRCs).
    public var keyframeRequests = 0
    /// PLIs we sent (`sendPictureLossIndication`).
    public var pliSent = 0
    /// NACKs naming an SSRC we do not send.
    public var nacksForUnknownSSRC = 0
    /// Feedback packets we could not send (serialize/protect failure, not connected).
    public var sendFailures = 0

    public init() {}
}
