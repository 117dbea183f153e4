// SPDX-License-Identifier: Apache-2.0

/// RTCDataChannelState (W3C webrtc §6.2), driven by DCEP (RFC 8832) and stream resets (RFC 8831 §6.7).
public enum DataChannelState: String, Sendable, Hashable {
    /// Opened by us: DATA_CHANNEL_OPEN not yet sent (association not up) or not yet acknowledged.
    case connecting
    case open
    /// `close()` called: our outgoing stream reset is in flight.
    case closing
    case closed
}
