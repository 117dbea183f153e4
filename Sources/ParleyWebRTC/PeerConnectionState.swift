// SPDX-License-Identifier: Apache-2.0

/// RTCPeerConnectionState (W3C webrtc-pc §4.3.3), derived pion-style from the ICE and DTLS states:
///
///     new ──setLocal/RemoteDescription──► connecting ──ICE selected + DTLS connected──► connected
///                                             │                                          │  ▲
///                                             │                       ICE disconnected   ▼  │ traffic again
///                                             │                                       disconnected
///                                             ▼                                          │
///                                           failed ◄── ICE failed (consent expired) ─────┘
///                                             │          / DTLS failed
///                                             └── restartIce() + offer/answer ──► connecting ──► connected
///     any ──close(), or the peer hangs up (DTLS close_notify, SCTP ABORT/SHUTDOWN)──► closed
///
/// Renegotiation and ICE restarts keep the state: a connected connection stays connected
/// while its new ICE generation checks (media stays on the old pair until a new one is selected).
public enum PeerConnectionState: String, Sendable, Hashable {
    case new
    case connecting
    case connected
    case disconnected
    case failed
    case closed
}
