// SPDX-License-Identifier: Apache-2.0

/// Candidate gathering (RFC 8445 §5.1.1), W3C RTCIceGatheringState: `gathering` while
/// server-reflexive Binding transactions are outstanding, `complete` when all answered or
/// timed out (then `.gatheringComplete` is emitted: the trickle end-of-candidates).
public enum ICEGatheringState: String, Sendable, Hashable {
    case new
    case gathering
    case complete
}
