// SPDX-License-Identifier: Apache-2.0

/// Counters of one `DTLSTransport`, cumulative since it was created.
public struct DTLSStats: Sendable, Hashable {
    /// Handshake flights sent again because the retransmission timer expired (RFC 6347 §4.2.4).
    public var handshakeRetransmits = 0
    public var datagramsSent = 0
    public var datagramsReceived = 0
    /// DTLS records (RFC 6347 §4.1) in the datagrams sent and received.
    public var recordsSent = 0
    public var recordsReceived = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    /// Datagrams dropped before OpenSSL saw them: not DTLS by RFC 7983, or after close/failure.
    public var datagramsDiscarded = 0
    public var applicationMessagesSent = 0
    public var applicationMessagesReceived = 0
    /// Alerts (RFC 5246 §7.2), close_notify included.
    public var alertsSent = 0
    public var alertsReceived = 0

    public init() {}
}
