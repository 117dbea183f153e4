// SPDX-License-Identifier: Apache-2.0

/// An outstanding STUN request of the agent's (RFC 8489 §6.2.1): the bytes to retransmit, the
/// route, the key the response must be signed with, and the retransmission schedule.
struct ICETransaction: Sendable {
    enum Purpose: Sendable, Hashable {
        /// A connectivity check on a checklist pair (RFC 8445 §7.2.4); `nominating` with USE-CANDIDATE.
        case check(pairID: Int, nominating: Bool)
        /// A consent freshness request on the selected pair (RFC 7675 §5.1).
        case consent(pairID: Int)
        /// A Binding request to a STUN server from a host base (RFC 8445 §5.1.1.2).
        case serverReflexive
    }

    var purpose: Purpose
    var request: [UInt8]
    var from: TransportAddress
    var to: TransportAddress
    /// The remote password the request was signed with; responses must carry the same MAC.
    var key: STUNIntegrityKey?
    /// The role the request claimed (ICE-CONTROLLING or ICE-CONTROLLED), for 487 handling.
    var claimedRole: ICERole?
    var firstSent: ContinuousClock.Instant
    var nextRetransmit: ContinuousClock.Instant
    var rto: Duration
    var retransmissions = 0
}
