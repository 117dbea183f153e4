// SPDX-License-Identifier: Apache-2.0

/// The peer asked a sender of ours for a key frame: PLI (RFC 4585 §6.3.1) or FIR (RFC 5104
/// §4.3.1). LiveKit's SFU sends them when a subscriber needs one (livekit-protocol.md §7).
/// No video encoder exists yet; `PeerConnection.onKeyframeRequest` surfaces them for the
/// video relay to come.
public struct KeyframeRequest: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case pictureLossIndication
        /// With the request's command sequence number (RFC 5104 §4.3.1.1).
        case fullIntraRequest(sequenceNumber: UInt8)
    }

    public var kind: Kind
    /// The SSRC whose key frame is wanted.
    public var mediaSSRC: UInt32
    /// Who asked.
    public var senderSSRC: UInt32

    public init(kind: Kind, mediaSSRC: UInt32, senderSSRC: UInt32) {
        self.kind = kind
        self.mediaSSRC = mediaSSRC
        self.senderSSRC = senderSSRC
    }
}
