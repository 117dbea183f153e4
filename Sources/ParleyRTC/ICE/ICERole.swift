// SPDX-License-Identifier: Apache-2.0

/// The agent's ICE role (RFC 8445 §6.1.1). The controlling agent nominates the pair that
/// carries media; the controlled one follows. LiveKit (livekit-protocol.md §5): controlled on
/// the subscriber PC, controlling on the publisher PC and whenever the server is ICE-lite.
/// A role conflict is settled by the tie-breaker (RFC 8445 §7.3.1.1), which may flip the role.
public enum ICERole: String, Sendable, Hashable {
    case controlling
    case controlled

    public var opposite: ICERole { self == .controlling ? .controlled : .controlling }
}
