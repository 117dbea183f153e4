// SPDX-License-Identifier: Apache-2.0

/// Something the caller must act on after feeding the transport a datagram.
public enum DTLSEvent: Sendable, Equatable {
    /// The handshake finished and the peer's certificate matched its SDP fingerprint. Carries
    /// the SRTP keys (RFC 5764 §4.2) when use_srtp was negotiated.
    case connected(SRTPKeyingMaterial?)
    /// One application data record's payload (SCTP packets, RFC 8261).
    case applicationData([UInt8])
    /// The peer sent close_notify (RFC 5246 §7.2.1); the transport is closed.
    case closed
}

/// What one call produced: datagrams to send to the peer, in order, and events for the caller.
public struct DTLSOutput: Sendable, Equatable {
    public var datagrams: [[UInt8]]
    public var events: [DTLSEvent]

    public init(datagrams: [[UInt8]] = [], events: [DTLSEvent] = []) {
        self.datagrams = datagrams
        self.events = events
    }
}
