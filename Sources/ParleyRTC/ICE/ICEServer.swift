// SPDX-License-Identifier: Apache-2.0

/// A server the agent gathers candidates through (RFC 8445 §5.1.1.2).
///
/// Only STUN is implemented: a Binding request from each host base, whose XOR-MAPPED-ADDRESS
/// becomes a server-reflexive candidate. `.turn` is the seam for relayed candidates
/// (RFC 8656 Allocate/Refresh/CreatePermission/ChannelBind, long-term credentials via
/// `STUNIntegrityKey.longTerm`); the agent accepts it in its configuration, counts it in
/// `ICEStats.unsupportedServers` and gathers nothing from it yet.
public enum ICEServer: Sendable, Hashable {
    /// A STUN server's transport address (no DNS here: resolve before configuring).
    case stun(TransportAddress)
    /// A TURN server (not implemented yet).
    case turn(TransportAddress, transport: ICETransportKind, username: String, credential: String)
}

/// How a local candidate carries packets. Only `.udp` is implemented. `.tcp` is the seam for
/// ICE-TCP (RFC 6544 active candidates with RFC 4571 framing), which LiveKit may switch an
/// identity to after an ICE failure (livekit-protocol.md §5 "ICE/TCP fallback"); remote TCP
/// candidates are ignored and counted in `ICEStats.remoteCandidatesIgnored` until then.
public enum ICETransportKind: Sendable, Hashable {
    case udp
    case tcp(ICETCPType)
}
