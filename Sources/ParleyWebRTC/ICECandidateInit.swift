// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// A trickled ICE candidate (RFC 8838) in the W3C RTCIceCandidateInit shape that LiveKit's
/// TrickleRequest carries as JSON (livekit-protocol.md §4): `candidate` is the
/// `candidate:…` attribute text, empty for end-of-candidates (RFC 8838 §4.4).
public struct ICECandidateInit: Sendable, Hashable {
    public var candidate: String
    public var sdpMid: String?
    public var sdpMLineIndex: Int?
    public var usernameFragment: String?

    public init(candidate: String, sdpMid: String? = nil, sdpMLineIndex: Int? = nil, usernameFragment: String? = nil) {
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
        self.usernameFragment = usernameFragment
    }

    /// Whether this marks the end of the peer's candidates.
    public var isEndOfCandidates: Bool { candidate.isEmpty }
}
