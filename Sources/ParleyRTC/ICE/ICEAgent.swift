// SPDX-License-Identifier: Apache-2.0

/// A full ICE agent (RFC 8445) for one component (WebRTC bundles everything on component 1),
/// with trickle (RFC 8838) and consent freshness (RFC 7675). Sans-IO like `DTLSTransport`:
/// datagrams in, datagrams out, time from the caller. No sockets, no threads, no clock.
///
///     gather(hostAddresses:) / setRemoteCredentials / addRemoteCandidate / restart / close
///     receive(stunDatagram, from:, to: localBase, now) ──► ICEOutput { transmits, events }
///     handleTimeout(now) at nextTimeout             ──► ICEOutput
///     noteInboundTraffic(from:to:now) for DTLS/SRTP arrivals (liveness, not consent)
///     transmit(payload) ──► ICETransmit on the selected pair
///
/// Behaviour, with the RFC sections it implements:
/// - Candidates: host candidates for the bases the caller found (`ICEInterfaces`), priority by
///   §5.1.2 (type preference 126, local preference by order, component 1), foundations by
///   §5.1.1.3 (`ICEFoundation`); server-reflexive through configured STUN servers (§5.1.1.2),
///   redundant ones (mapped address == base) dropped (§5.1.3).
/// - Pairs (§6.1.2): every host base with every remote candidate of the same family (loopback
///   only with loopback); server-reflexive locals are replaced by their base and so pruned
///   (§6.1.2.4); pair priority §6.1.2.3; at most `maxPairs` (§6.1.2.5).
/// - Frozen algorithm (§6.1.2.6) for the single checklist: the first pair of each foundation
///   starts Waiting, the others Frozen; a success unfreezes its foundation (§7.2.5.3.3); with
///   nothing Waiting, a Frozen pair whose foundation has nothing Waiting/In-Progress is thawed
///   (§6.1.4.2).
/// - Pacing: one new transaction (gathering, triggered check, ordinary check, in that order)
///   every Ta (§6.1.4.2, §14.2); retransmissions on the RTO schedule (RFC 8489 §6.2.1).
/// - Checks carry USERNAME `remote:local`, PRIORITY (peer-reflexive priority), ICE-CONTROLLING
///   or ICE-CONTROLLED with the tie-breaker, USE-CANDIDATE when nominating, MESSAGE-INTEGRITY
///   keyed with the remote password and FINGERPRINT (§7.1, §7.2.2).
/// - Responses (§7.2.5): MAC and FINGERPRINT checked, addresses must be symmetric
///   (§7.2.5.2.1), XOR-MAPPED-ADDRESS not among our candidates makes a local peer-reflexive
///   candidate (§7.2.5.3.1); 487 flips the role if we still hold the role we claimed and
///   re-queues the check (§7.2.5.1); other errors and timeouts fail the pair.
/// - Requests (§7.3): answered whenever the USERNAME and MAC are ours, even before the remote
///   credentials are known; unknown sources become remote peer-reflexive candidates (§7.3.1.3);
///   role conflicts by tie-breaker (§7.3.1.1); triggered checks (§7.3.1.4; an In-Progress pair
///   keeps its running transaction instead of being cancelled and re-sent, as pion does);
///   USE-CANDIDATE on the controlled side (§7.3.1.5).
/// - Nomination: **regular** (§8.1.1), the only kind RFC 8445 keeps (aggressive nomination was
///   deprecated): the controlling agent checks first, then, once the best valid pair is the best
///   pair still possible or `nominationWait` after the first valid pair, repeats the check on
///   the best valid pair with USE-CANDIDATE; its success selects it. We accept a peer's
///   aggressive nomination (aioice) since that looks like early USE-CANDIDATE to us. After
///   selection, Frozen/Waiting pairs are dropped and in-progress checks stop (§8.1.2).
/// - ICE-lite peer (§2.5, §6.1.1): we become controlling; the peer only answers.
///   `configuration.lite` makes us a lite agent (answer only, select what is nominated).
/// - Consent (RFC 7675 §5.1): a Binding request on the selected pair every ~5 s (±20 %);
///   30 s without an authenticated response → `failed` and `transmit` refuses. These requests
///   are also the keepalives of RFC 8445 §11 (more often than its 15 s). A lite agent counts
///   the peer's valid checks as consent instead.
/// - ICE restart (§9): new local credentials and a new checklist; the old selected pair keeps
///   carrying media (and its old credentials keep being answered and used for consent) until
///   the new generation selects a pair.
///
/// An agent is confined to one thread (the driver's queue); it is not Sendable.
public final class ICEAgent {
    public let configuration: ICEAgentConfiguration
    public internal(set) var role: ICERole
    public let tieBreaker: UInt64
    public internal(set) var localCredentials: ICECredentials
    public internal(set) var remoteCredentials: ICECredentials?
    public internal(set) var remoteIsLite = false
    public internal(set) var state: ICEConnectionState = .new
    public internal(set) var gatheringState: ICEGatheringState = .new
    public internal(set) var stats = ICEStats()
    public internal(set) var localCandidates: [ICELocalCandidate] = []
    public internal(set) var remoteCandidates: [ICERemoteCandidate] = []
    /// The checklist, highest pair priority first.
    public internal(set) var pairs: [ICECandidatePair] = []

    /// The selected pair with the credentials of the generation that selected it: after an ICE
    /// restart it keeps working under the old credentials until the new generation selects.
    struct Selection {
        var pair: ICECandidatePair
        var localCredentials: ICECredentials
        var remoteCredentials: ICECredentials
        var lastConsent: ContinuousClock.Instant
        var nextConsent: ContinuousClock.Instant
        var lastReceived: ContinuousClock.Instant
        var consentExpired = false
    }

    var selection: Selection?
    /// Trickled before the remote credentials were known (RFC 8838 §4.3: buffered).
    var pendingRemoteCandidates: [ICECandidate] = []
    var remoteEndOfCandidates = false
    var transactions: [STUNTransactionID: ICETransaction] = [:]
    /// Triggered-check queue (§6.1.4.1): pair ids, FIFO; `nominating` for regular nomination.
    var triggeredQueue: [(pairID: Int, nominating: Bool)] = []
    /// STUN-server requests not sent yet (paced like checks).
    var gatherQueue: [(base: TransportAddress, server: TransportAddress)] = []
    var nextPairID = 0
    var nextPeerReflexiveFoundation = 0
    var lastPacedSend: ContinuousClock.Instant?
    var checkingStarted: ContinuousClock.Instant?
    var firstValid: ContinuousClock.Instant?
    var nominatingPairID: Int?
    /// "localBase|remote" of checks that carried USE-CANDIDATE before their pair existed.
    var earlyNominations: Set<String> = []
    var generation = 0
    /// The latest `now` any call passed in: "due at once" for `nextTimeout` without reading a clock.
    var lastNow: ContinuousClock.Instant?

    func observe(_ now: ContinuousClock.Instant) {
        if lastNow == nil || now > lastNow! { lastNow = now }
    }

    public init(configuration: ICEAgentConfiguration, credentials: ICECredentials = .random()) {
        self.configuration = configuration
        self.role = configuration.lite ? .controlled : configuration.role
        var generator = SystemRandomNumberGenerator()
        self.tieBreaker = configuration.tieBreaker ?? generator.next()
        self.localCredentials = credentials
    }

    /// The pair media uses now: nil before selection, after consent expired and after close.
    public var selectedPair: ICESelectedPair? {
        guard let selection, !selection.consentExpired, state != .closed, state != .failed else { return nil }
        return ICESelectedPair(local: selection.pair.local, remote: selection.pair.remote)
    }

    /// Where one application datagram (DTLS, SRTP) goes: the selected pair, or nil when none
    /// is usable (RFC 7675 §5.1: no sending once consent is lost).
    public func transmit(_ payload: [UInt8]) -> ICETransmit? {
        guard let pair = selectedPair else { return nil }
        return ICETransmit(from: pair.localBase, to: pair.remoteAddress, bytes: payload)
    }

    // MARK: - Local candidates

    /// Adds host candidates for these socket addresses (each must be bound by the driver) and
    /// starts server-reflexive gathering from each through the configured STUN servers. May be
    /// called again with new addresses (an interface came up). Emits `.localCandidate` for
    /// each, and `.gatheringComplete` when no STUN transaction is outstanding.
    public func gather(hostAddresses: [TransportAddress], now: ContinuousClock.Instant) -> ICEOutput {
        var output = ICEOutput()
        observe(now)
        guard state != .closed else { return output }
        gatheringState = .gathering
        for server in configuration.servers {
            if case .turn = server, localCandidates.isEmpty { stats.unsupportedServers += 1 }
        }
        for base in hostAddresses where !localCandidates.contains(where: { $0.base == base && $0.type == .host }) {
            if base.address.isLoopback && !configuration.includeLoopback { continue }
            let hostCount = localCandidates.filter { $0.type == .host }.count
            let localPreference = UInt16(65535 - min(hostCount, 65535))
            let candidate = ICECandidate(
                foundation: ICEFoundation.compute(type: .host, baseAddress: base.address, serverAddress: nil, transport: .udp),
                priority: ICECandidate.priority(type: .host, localPreference: localPreference),
                address: "\(base.address)", port: base.port, type: .host)
            let local = ICELocalCandidate(candidate: candidate, address: base, base: base, transport: .udp, server: nil)
            localCandidates.append(local)
            output.events.append(.localCandidate(candidate))
            if !configuration.lite {
                for case .stun(let server) in configuration.servers where server.address.family == base.address.family
                    && server.address.isLoopback == base.address.isLoopback {
                    gatherQueue.append((base, server))
                }
            }
            pairNewLocal(local)
        }
        finishGatheringIfDone(&output)
        sortPairs()
        return output
    }

    func finishGatheringIfDone(_ output: inout ICEOutput) {
        let outstanding = transactions.values.contains { $0.purpose == .serverReflexive }
        if gatheringState == .gathering && gatherQueue.isEmpty && !outstanding {
            gatheringState = .complete
            output.events.append(.gatheringComplete)
        }
    }

    // MARK: - Remote description

    /// The peer's `a=ice-ufrag`/`a=ice-pwd`, and whether it is ICE-lite (`a=ice-lite`). Pairs
    /// the candidates trickled so far and starts checking.
    public func setRemoteCredentials(
        _ credentials: ICECredentials, lite: Bool = false, now: ContinuousClock.Instant
    ) -> ICEOutput {
        var output = ICEOutput()
        guard state != .closed else { return output }
        observe(now)
        remoteCredentials = credentials
        remoteIsLite = lite
        // RFC 8445 §6.1.1: with a lite peer the full agent is controlling.
        if lite && !configuration.lite && role == .controlled {
            switchRole(&output)
        }
        let buffered = pendingRemoteCandidates
        pendingRemoteCandidates = []
        for candidate in buffered { addRemote(candidate) }
        // Peer-reflexive candidates learned before now get their pairs too.
        for remote in remoteCandidates { pairRemote(remote) }
        sortPairs()
        if state == .new {
            checkingStarted = now
            setState(.checking, &output)
        }
        return output
    }

    /// A trickled remote candidate (RFC 8838 §4.3), any time. Buffered until the remote
    /// credentials are set. Ignored (and counted): other components, TCP (no ICE-TCP yet),
    /// hostnames (mDNS), and candidates whose `ufrag` names another generation.
    public func addRemoteCandidate(_ candidate: ICECandidate, now: ContinuousClock.Instant) -> ICEOutput {
        guard state != .closed else { return ICEOutput() }
        observe(now)
        guard remoteCredentials != nil else {
            pendingRemoteCandidates.append(candidate)
            return ICEOutput()
        }
        addRemote(candidate)
        sortPairs()
        return ICEOutput()
    }

    /// The peer's end-of-candidates (RFC 8838 §4.4): lets the agent fail once every pair failed.
    public func addRemoteEndOfCandidates() {
        remoteEndOfCandidates = true
    }

    func addRemote(_ candidate: ICECandidate) {
        guard candidate.component == 1, candidate.transport == .udp, let address = candidate.transportAddress,
              candidate.usernameFragment == nil || candidate.usernameFragment == remoteCredentials?.usernameFragment
        else {
            stats.remoteCandidatesIgnored += 1
            return
        }
        if let index = remoteCandidates.firstIndex(where: { $0.address == address }) {
            // A signalled candidate replaces the peer-reflexive one learned from its checks.
            if remoteCandidates[index].type == .prflx {
                remoteCandidates[index].candidate = candidate
                for i in pairs.indices where pairs[i].remote.address == address { pairs[i].remote.candidate = candidate }
            }
            return
        }
        let remote = ICERemoteCandidate(candidate: candidate, address: address)
        remoteCandidates.append(remote)
        pairRemote(remote)
    }

    // MARK: - Restart, close

    /// ICE restart (RFC 8445 §9): new local credentials, a new checklist; the remote
    /// credentials and candidates must be set again. Media continues on the current selected
    /// pair until the new generation selects one. Emits the host and server-reflexive
    /// candidates again for the new generation.
    public func restart(credentials: ICECredentials = .random(), now: ContinuousClock.Instant) -> ICEOutput {
        var output = ICEOutput()
        guard state != .closed else { return output }
        observe(now)
        stats.restarts += 1
        generation += 1
        localCredentials = credentials
        remoteCredentials = nil
        remoteIsLite = false
        remoteCandidates = []
        pendingRemoteCandidates = []
        remoteEndOfCandidates = false
        pairs = []
        triggeredQueue = []
        earlyNominations = []
        nominatingPairID = nil
        firstValid = nil
        transactions = transactions.filter {
            if case .check = $0.value.purpose { return false }
            return true
        }
        localCandidates.removeAll { $0.type == .prflx }
        for local in localCandidates { output.events.append(.localCandidate(local.candidate)) }
        if gatheringState == .complete { output.events.append(.gatheringComplete) }
        checkingStarted = now
        if selection == nil || state == .failed {
            selection = nil
            setState(.checking, &output)
        }
        return output
    }

    /// Stops everything; final.
    public func close() -> ICEOutput {
        var output = ICEOutput()
        guard state != .closed else { return output }
        transactions = [:]
        triggeredQueue = []
        gatherQueue = []
        setState(.closed, &output)
        return output
    }

    // MARK: - State

    func setState(_ newState: ICEConnectionState, _ output: inout ICEOutput) {
        guard newState != state else { return }
        state = newState
        output.events.append(.stateChanged(newState))
    }

    func switchRole(_ output: inout ICEOutput) {
        role = role.opposite
        stats.roleSwitches += 1
        sortPairs()
        output.events.append(.roleChanged(role))
    }
}
