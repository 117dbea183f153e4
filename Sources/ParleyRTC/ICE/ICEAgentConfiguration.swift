// SPDX-License-Identifier: Apache-2.0

/// How an `ICEAgent` behaves. Defaults follow RFC 8445 / RFC 7675 and pion where the RFCs
/// leave a choice (livekit-protocol.md §5).
public struct ICEAgentConfiguration: Sendable {
    /// The starting role; a role conflict (RFC 8445 §7.3.1.1) or an ICE-lite peer may change it.
    public var role: ICERole
    /// Act as an ICE-lite agent (RFC 8445 §2.5): host candidates only, never send checks,
    /// always controlled, select the pair the peer nominates.
    public var lite = false
    /// STUN servers to gather server-reflexive candidates from (TURN: not implemented, see `ICEServer`).
    public var servers: [ICEServer] = []
    /// The tie-breaker (RFC 8445 §7.1.3); random when nil.
    public var tieBreaker: UInt64?
    /// Ta: the pacing of new STUN transactions, checks and gathering (RFC 8445 §14.2; 50 ms as
    /// RFC 8445 recommends for non-RTP-only traffic and as pion/libwebrtc use).
    public var checkInterval: Duration = .milliseconds(50)
    /// First retransmission timeout of a check (RFC 8445 §14.3: at least 500 ms).
    public var initialRetransmitTimeout: Duration = .milliseconds(500)
    /// The doubling RTO stops growing here.
    public var maxRetransmitTimeout: Duration = .milliseconds(1600)
    /// Retransmissions after the first request before a transaction times out (Rc − 1,
    /// RFC 8489 §6.2.1 uses Rc = 7).
    public var maxRetransmissions = 6
    /// Regular nomination (RFC 8445 §8.1.1): how long the controlling agent waits after the
    /// first valid pair for a better one before nominating the best valid pair (it nominates
    /// at once when no higher-priority pair is still pending).
    public var nominationWait: Duration = .milliseconds(500)
    /// The same wait when the best valid pair is host↔host. pion's `hostAcceptanceMinWait` is 0:
    /// a working direct pair will not be beaten by a relayed or reflexive one, and waiting here
    /// delays the first media of every LiveKit join (the publisher PC nominates).
    public var hostNominationWait: Duration = .zero
    /// RFC 7675 §5.1: consent refreshed every 5 s on average, jittered by ±20 %.
    public var consentInterval: Duration = .seconds(5)
    /// RFC 7675 §5.1: consent expires 30 s after the last authenticated response.
    public var consentTimeout: Duration = .seconds(30)
    /// Report `disconnected` after this long without any inbound packet on the selected pair.
    public var disconnectedTimeout: Duration = .seconds(10)
    /// Fail when checks find nothing this long after they started, even without
    /// end-of-candidates (a trickling peer may never send it).
    public var checkingTimeout: Duration = .seconds(30)
    /// RFC 8445 §6.1.2.5: a limit on the checklist (default 100).
    public var maxPairs = 100
    /// Gather loopback host candidates (LiveKit test rigs on 127.0.0.1, §5 "Loopback-only clients").
    public var includeLoopback = false

    public init(role: ICERole) {
        self.role = role
    }
}
