// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// Why a `PeerConnection` call was refused.
public enum PeerConnectionError: Error, Sendable, CustomStringConvertible {
    /// The call is not allowed in this signalling state (JSEP RFC 9429 §5.5/§5.6: e.g. an
    /// answer without a remote offer).
    case invalidSignalingState(SignalingState, operation: String)
    case closed
    /// The remote description cannot be used (no ICE credentials, no fingerprint, no BUNDLE…).
    case invalidRemoteDescription(String)
    case negotiation(SDPNegotiationError)
    case candidate(String)
    case ice(ICESocketError)
    case dtls(DTLSError)
    case sctp(SCTPError)
    /// Data channels need a negotiated `m=application` section (create them once both
    /// descriptions are set).
    case noDataChannelTransport
    case audio(String)

    public var description: String {
        switch self {
        case .invalidSignalingState(let state, let operation): "\(operation) is not allowed in signalling state \(state.rawValue)"
        case .closed: "the peer connection is closed"
        case .invalidRemoteDescription(let why): "unusable remote description: \(why)"
        case .negotiation(let error): "negotiation failed: \(error)"
        case .candidate(let why): "bad ICE candidate: \(why)"
        case .ice(let error): "ICE: \(error)"
        case .dtls(let error): "DTLS: \(error)"
        case .sctp(let error): "SCTP: \(error)"
        case .noDataChannelTransport: "no data channel transport negotiated yet (set both descriptions with an m=application section first)"
        case .audio(let why): "audio: \(why)"
        }
    }
}
