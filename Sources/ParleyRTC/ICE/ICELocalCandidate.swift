// SPDX-License-Identifier: Apache-2.0

/// A candidate of ours (RFC 8445 §5.1.1): what we advertise (`candidate`), the transport
/// address it stands for, and its base — the local socket address packets are actually sent
/// from (for a host candidate the address itself; for a server-reflexive one the host
/// candidate it was learned through, §5.1.1.2).
public struct ICELocalCandidate: Sendable, Hashable, CustomStringConvertible {
    public var candidate: ICECandidate
    public var address: TransportAddress
    public var base: TransportAddress
    public var transport: ICETransportKind
    /// The STUN server a server-reflexive candidate came from.
    public var server: TransportAddress?

    public var type: ICECandidateType { candidate.type }
    public var priority: UInt32 { candidate.priority }

    public var description: String { "\(type.rawValue) \(address)" + (address == base ? "" : " base \(base)") }
}
