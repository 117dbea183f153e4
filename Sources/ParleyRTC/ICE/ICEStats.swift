// SPDX-License-Identifier: Apache-2.0

/// Counters of one `ICEAgent`, cumulative since it was created (ICE restarts included).
public struct ICEStats: Sendable, Hashable {
    /// Connectivity checks (Binding requests on a pair, retransmissions included).
    public var checksSent = 0
    public var checksReceived = 0
    /// Retransmissions of checks, consent requests and STUN server requests (RFC 8489 §6.2.1).
    public var retransmissions = 0
    public var responsesSent = 0
    public var errorResponsesSent = 0
    public var successResponsesReceived = 0
    public var errorResponsesReceived = 0
    /// Role conflicts (RFC 8445 §7.3.1.1): 487s sent or received, and role switches.
    public var roleConflictsDetected = 0
    public var roleSwitches = 0
    /// Candidates learned from checks (RFC 8445 §7.2.5.3.1 local, §7.3.1.3 remote).
    public var peerReflexiveLocal = 0
    public var peerReflexiveRemote = 0
    public var serverReflexiveGathered = 0
    /// Datagrams that were not a STUN message we could accept: undecodable, bad FINGERPRINT
    /// or MESSAGE-INTEGRITY, wrong USERNAME, responses to no transaction of ours.
    public var invalidMessages = 0
    /// Trickled candidates dropped: mDNS/FQDN addresses, TCP (no ICE-TCP yet), other components.
    public var remoteCandidatesIgnored = 0
    /// Configured servers of a kind not implemented (TURN).
    public var unsupportedServers = 0
    /// Consent freshness (RFC 7675): requests sent, responses received, expiries.
    public var consentRequestsSent = 0
    public var consentResponsesReceived = 0
    public var consentFailures = 0
    public var restarts = 0
    /// Pairs selected (RFC 8445 §8.1.1): 1 after the first nomination, one more for each ICE
    /// restart whose new generation selected its pair.
    public var pairsSelected = 0
    /// Round-trip time of the selected pair's latest check or consent response.
    public var selectedPairRoundTripTime: Duration?

    public init() {}
}
