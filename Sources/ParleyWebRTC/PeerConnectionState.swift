// SPDX-License-Identifier: Apache-2.0

/// RTCPeerConnectionState (W3C webrtc-pc §4.3.3), derived pion-style from the ICE and DTLS states:
///
///     new ──setLocal/RemoteDescription──► connecting ──ICE selected + DTLS connected──► connected
///                                             │                                          │  ▲
///                                             │                       ICE disconnected   ▼  │ traffic again
///                                             │                                       disconnected
///                                             ▼                                          │
///                                           failed ◄── ICE failed / DTLS failed ─────────┘
///     any ──close()──► closed
public enum PeerConnectionState: String, Sendable, Hashable {
    case new
    case connecting
    case connected
    case disconnected
    case failed
    case closed
}
