// SPDX-License-Identifier: Apache-2.0

/// Why a `PeerConnection` reached `.closed`. Remote hangups close the connection by themselves
/// (sockets, timers and the association released as by `close()`), because nothing can
/// resume them: DTLS records cannot follow a close_notify, and WebRTC peers (pion, aiortc,
/// browsers) end the SCTP association only when they close the connection.
///
/// Consent expiry (RFC 7675) is different: it makes ICE, and so the connection, `.failed`,
/// which an ICE restart (`restartIce()`) can recover; call `close()` to release it instead.
public enum PeerConnectionCloseReason: String, Sendable, Hashable {
    /// `close()` was called.
    case local
    /// The peer sent a DTLS close_notify alert (RFC 5246 §7.2.1).
    case remoteDTLSClose
    /// The peer aborted the SCTP association (ABORT, RFC 4960 §9.1), seen as communication lost.
    case remoteSCTPAbort
    /// The peer shut the SCTP association down (SHUTDOWN, RFC 4960 §9.2).
    case remoteSCTPShutdown
}
