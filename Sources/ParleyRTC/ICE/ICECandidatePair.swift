// SPDX-License-Identifier: Apache-2.0

/// A checklist entry (RFC 8445 §6.1.2): a local candidate (always a base we can send from;
/// server-reflexive locals are replaced by their base and pruned, §6.1.2.4) and a remote
/// candidate, with its check state and nomination flags.
public struct ICECandidatePair: Sendable, Hashable, CustomStringConvertible {
    /// Stable within one agent generation; survives re-sorting.
    public let id: Int
    public var local: ICELocalCandidate
    public var remote: ICERemoteCandidate
    public var state: ICECandidatePairState = .frozen
    /// The pair is nominated (RFC 8445 §8.1.1 controlling, §7.3.1.5 controlled).
    public var nominated = false
    /// Controlled: a check with USE-CANDIDATE arrived before this pair succeeded; nominate it
    /// when our own check on it succeeds (RFC 8445 §7.3.1.5).
    public var nominateOnSuccess = false
    /// The address the peer saw our check come from (XOR-MAPPED-ADDRESS of the success
    /// response); a local peer-reflexive candidate when it is none of ours (§7.2.5.3.1).
    public var mappedAddress: TransportAddress?
    /// Round-trip time of the latest successful check or consent request on this pair.
    public var roundTripTime: Duration?
    public var lastReceived: ContinuousClock.Instant?

    /// The foundation of a pair is the two candidates' foundations together (§6.1.2.6).
    public var foundation: String { local.candidate.foundation + ":" + remote.foundation }

    /// RFC 8445 §6.1.2.3: `2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)`, G the controlling
    /// agent's candidate priority and D the controlled agent's.
    public func priority(role: ICERole) -> UInt64 {
        ICECandidatePair.priority(
            controlling: role == .controlling ? local.priority : remote.priority,
            controlled: role == .controlling ? remote.priority : local.priority)
    }

    public static func priority(controlling g: UInt32, controlled d: UInt32) -> UInt64 {
        let g64 = UInt64(g)
        let d64 = UInt64(d)
        return (min(g64, d64) << 32) + 2 * max(g64, d64) + (g64 > d64 ? 1 : 0)
    }

    public var description: String { "\(local.base) → \(remote.address) [\(state.rawValue)\(nominated ? ", nominated" : "")]" }
}
