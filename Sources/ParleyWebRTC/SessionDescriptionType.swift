// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// RTCSdpType for the descriptions Parley exchanges (no `pranswer`, no `rollback`).
public enum SessionDescriptionType: String, Sendable, Hashable {
    case offer
    case answer
}

/// An offer or answer as it travels through signalling: W3C RTCSessionDescriptionInit
/// (`{"type": "offer", "sdp": "v=0…"}`), with the SDP already parsed.
public struct TypedSessionDescription: Sendable, Hashable {
    public var type: SessionDescriptionType
    public var description: SessionDescription

    public init(type: SessionDescriptionType, description: SessionDescription) {
        self.type = type
        self.description = description
    }

    /// Parses the SDP text of a received offer or answer.
    public init(type: SessionDescriptionType, sdp: String) throws(SDPError) {
        self.type = type
        self.description = try SessionDescription(parsing: sdp)
    }

    /// The SDP text (CRLF lines).
    public var sdp: String { description.serialize() }
}
