// SPDX-License-Identifier: Apache-2.0

/// The life cycle of a `DTLSTransport`, pion-style (webrtc.DTLSTransportState):
///
///     new ──start──► connecting ──handshake done, fingerprint ok──► connected ──close / close_notify──► closed
///                        │                                              │
///                        └──── alert, fingerprint mismatch, timeout ────┴──► failed
///
/// `failed` and `closed` are final: a new handshake needs a new transport.
public enum DTLSState: String, Sendable, Hashable {
    case new
    case connecting
    case connected
    case failed
    case closed
}
