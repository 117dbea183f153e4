// SPDX-License-Identifier: Apache-2.0

/// What an `SCTPAssociation` sends its packets through: DTLS application data in WebRTC
/// (RFC 8261 §5: one SCTP packet per DTLS record), or an in-memory link in tests.
///
/// Outbound: the association calls `send(_:)` on the SCTP queue (`SCTPStack`), never from
/// inside usrsctp, once per packet; an implementation must not block and may hop threads (the
/// PeerConnection hands the packet to the thread that owns its `DTLSTransport`).
/// Inbound: whoever owns the lower layer calls `SCTPAssociation.receive(_:)` with each
/// decrypted DTLS application message, from any thread.
public protocol SCTPLowerTransport: AnyObject, Sendable {
    func send(_ bytes: [UInt8])
}
