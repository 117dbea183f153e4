// SPDX-License-Identifier: Apache-2.0

/// RTCSignalingState (W3C webrtc-pc §4.3.1; JSEP RFC 9429 §3.2) for the states Parley uses:
/// no provisional answers (`pranswer`) and no rollback.
///
///     stable ──setLocal(offer)──► haveLocalOffer ──setRemote(answer)──► stable
///     stable ──setRemote(offer)──► haveRemoteOffer ──setLocal(answer)──► stable
///     any ──close()──► closed
public enum SignalingState: String, Sendable, Hashable {
    case stable
    case haveLocalOffer
    case haveRemoteOffer
    case closed
}
