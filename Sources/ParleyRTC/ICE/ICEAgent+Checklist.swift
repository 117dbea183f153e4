// SPDX-License-Identifier: Apache-2.0

/// The checklist: forming pairs, scheduling checks every Ta, retransmissions, regular
/// nomination, selection, consent freshness and the timers (RFC 8445 §6.1.2–§8, RFC 7675).
extension ICEAgent {
    // MARK: - Pairing (RFC 8445 §6.1.2)

    /// Whether a base may send to an address: same family, and loopback only with loopback
    /// (a loopback socket cannot reach an interface address reliably, and vice versa).
    static func canPair(_ base: TransportAddress, _ remote: TransportAddress) -> Bool {
        base.address.family == remote.address.family && base.address.isLoopback == remote.address.isLoopback
    }

    func pairNewLocal(_ local: ICELocalCandidate) {
        guard remoteCredentials != nil else { return }
        for remote in remoteCandidates { addPair(local: local, remote: remote) }
    }

    func pairRemote(_ remote: ICERemoteCandidate) {
        guard remoteCredentials != nil else { return }
        for local in localCandidates where local.type == .host { addPair(local: local, remote: remote) }
    }

    @discardableResult
    func addPair(local: ICELocalCandidate, remote: ICERemoteCandidate) -> Int? {
        guard Self.canPair(local.base, remote.address), !configuration.lite else { return nil }
        if let index = pairs.firstIndex(where: { $0.local.base == local.base && $0.remote.address == remote.address }) {
            return index
        }
        // After selection the checklist is complete (§8.1.2); new candidates are not checked.
        if selection != nil && selectionIsCurrent { return nil }
        var pair = ICECandidatePair(id: nextPairID, local: local, remote: remote)
        nextPairID += 1
        // §6.1.2.6: Waiting when no pair of this foundation is already active, else Frozen.
        let foundation = pair.foundation
        let active = pairs.contains { $0.foundation == foundation && $0.state != .frozen && $0.state != .failed }
        pair.state = active && !pairs.contains(where: { $0.foundation == foundation && $0.state == .succeeded }) ? .frozen : .waiting
        if earlyNominations.remove("\(local.base)|\(remote.address)") != nil { pair.nominateOnSuccess = true }
        pairs.append(pair)
        if pairs.count > configuration.maxPairs {
            sortPairs()
            if let drop = pairs.lastIndex(where: { $0.state == .frozen || $0.state == .waiting }) {
                pairs.remove(at: drop)
            }
        }
        return pairs.firstIndex { $0.id == pair.id }
    }

    func sortPairs() {
        let role = self.role
        pairs.sort { $0.priority(role: role) > $1.priority(role: role) }
    }

    func pairIndex(id: Int) -> Int? { pairs.firstIndex { $0.id == id } }

    /// Whether the selection belongs to the current generation (not a pre-restart leftover).
    var selectionIsCurrent: Bool {
        selection?.localCredentials == localCredentials
    }

    // MARK: - Timers

    /// When `handleTimeout(now:)` must be called next; nil when no timer runs.
    public var nextTimeout: ContinuousClock.Instant? {
        guard state != .closed else { return nil }
        var next: ContinuousClock.Instant?
        func consider(_ instant: ContinuousClock.Instant?) {
            guard let instant else { return }
            if next == nil || instant < next! { next = instant }
        }
        for transaction in transactions.values { consider(transaction.nextRetransmit) }
        if hasPacedWork {
            consider(lastPacedSend.map { max($0 + configuration.checkInterval, lastNow ?? $0) } ?? lastNow)
        }
        if let firstValid, nominatingPairID == nil, role == .controlling, !selectionIsCurrent || selection == nil {
            consider(firstValid + min(configuration.nominationWait, configuration.hostNominationWait))
        }
        if let selection, state != .failed {
            if !configuration.lite { consider(selection.nextConsent) }
            consider(selection.lastConsent + configuration.consentTimeout)
            if state == .connected || state == .completed {
                consider(selection.lastReceived + configuration.disconnectedTimeout)
            }
        }
        if state == .checking, let checkingStarted { consider(checkingStarted + configuration.checkingTimeout) }
        return next
    }

    var hasPacedWork: Bool {
        if !gatherQueue.isEmpty || !triggeredQueue.isEmpty { return true }
        guard remoteCredentials != nil, !configuration.lite, !(selectionIsCurrent && selection != nil) else { return false }
        return pairs.contains { $0.state == .waiting || $0.state == .frozen } && nextOrdinaryPair(peek: true) != nil
    }

    /// Runs what is due: retransmissions and timeouts, one paced transaction, nomination,
    /// consent, and the disconnected / failed checks.
    public func handleTimeout(now: ContinuousClock.Instant) -> ICEOutput {
        var output = ICEOutput()
        guard state != .closed else { return output }
        observe(now)
        retransmit(now: now, &output)
        if lastPacedSend.map({ now >= $0 + configuration.checkInterval }) ?? true {
            if sendPaced(now: now, &output) { lastPacedSend = now }
        }
        considerNomination(now: now)
        runConsent(now: now, &output)
        updateConnectivity(now: now, &output)
        return output
    }

    func retransmit(now: ContinuousClock.Instant, _ output: inout ICEOutput) {
        for (id, var transaction) in transactions where transaction.nextRetransmit <= now {
            let consentWindowOpen: Bool
            if case .consent = transaction.purpose {
                consentWindowOpen = now - transaction.firstSent < configuration.consentInterval
            } else {
                consentWindowOpen = true
            }
            if transaction.retransmissions < configuration.maxRetransmissions && consentWindowOpen {
                transaction.retransmissions += 1
                transaction.rto = min(transaction.rto * 2, configuration.maxRetransmitTimeout)
                transaction.nextRetransmit = now + transaction.rto
                transactions[id] = transaction
                stats.retransmissions += 1
                if case .check = transaction.purpose { stats.checksSent += 1 }
                if case .consent = transaction.purpose { stats.consentRequestsSent += 1 }
                output.transmits.append(ICETransmit(from: transaction.from, to: transaction.to, bytes: transaction.request))
                continue
            }
            transactions[id] = nil
            switch transaction.purpose {
            case .check(let pairID, _):
                // A nomination that times out fails the pair too; the next best valid pair is
                // nominated instead (considerNomination).
                if let index = pairIndex(id: pairID) { pairs[index].state = .failed }
                if nominatingPairID == pairID { nominatingPairID = nil }
            case .consent:
                break  // consent expiry is judged on time since the last response (RFC 7675 §5.1)
            case .serverReflexive:
                finishGatheringIfDone(&output)
            }
        }
    }

    /// Sends at most one new transaction: STUN-server request, triggered check, ordinary check.
    func sendPaced(now: ContinuousClock.Instant, _ output: inout ICEOutput) -> Bool {
        if !gatherQueue.isEmpty {
            let (base, server) = gatherQueue.removeFirst()
            let message = STUNMessage(type: .bindingRequest)
            guard let bytes = try? message.encode(fingerprint: true) else { return false }
            transactions[message.transactionID] = ICETransaction(
                purpose: .serverReflexive, request: bytes, from: base, to: server, key: nil, claimedRole: nil,
                firstSent: now, nextRetransmit: now + configuration.initialRetransmitTimeout,
                rto: configuration.initialRetransmitTimeout)
            output.transmits.append(ICETransmit(from: base, to: server, bytes: bytes))
            return true
        }
        guard remoteCredentials != nil, !configuration.lite else { return false }
        while !triggeredQueue.isEmpty {
            let (pairID, nominating) = triggeredQueue.removeFirst()
            guard let index = pairIndex(id: pairID) else { continue }
            if pairs[index].state == .inProgress && !nominating { continue }
            sendCheck(index, nominating: nominating, now: now, &output)
            return true
        }
        if selection != nil && selectionIsCurrent { return false }
        if let index = nextOrdinaryPair(peek: false) {
            sendCheck(index, nominating: false, now: now, &output)
            return true
        }
        return false
    }

    /// §6.1.4.2: the highest-priority Waiting pair; else thaw the best Frozen pair whose
    /// foundation has nothing Waiting or In-Progress.
    func nextOrdinaryPair(peek: Bool) -> Int? {
        if let index = pairs.firstIndex(where: { $0.state == .waiting }) { return index }
        for index in pairs.indices where pairs[index].state == .frozen {
            let foundation = pairs[index].foundation
            if !pairs.contains(where: { $0.foundation == foundation && ($0.state == .waiting || $0.state == .inProgress) }) {
                if !peek { pairs[index].state = .waiting }
                return index
            }
        }
        return nil
    }

    /// A Binding request on a pair (RFC 8445 §7.1–7.2.4), or a consent request (RFC 7675).
    func bindingRequest(
        for pair: ICECandidatePair, local: ICECredentials, remote: ICECredentials, nominating: Bool
    ) -> (STUNMessage, [UInt8])? {
        var message = STUNMessage(type: .bindingRequest)
        message.attributes.append(.username("\(remote.usernameFragment):\(local.usernameFragment)"))
        // §7.1.1: the priority a peer-reflexive candidate learned from this check would get.
        let localPreference = UInt16(truncatingIfNeeded: pair.local.priority >> 8)
        message.attributes.append(.priority(ICECandidate.priority(type: .prflx, localPreference: localPreference)))
        message.attributes.append(role == .controlling ? .iceControlling(tieBreaker: tieBreaker) : .iceControlled(tieBreaker: tieBreaker))
        if nominating { message.attributes.append(.useCandidate) }
        guard let bytes = try? message.encode(
            integrityKey: .shortTerm(password: remote.password), fingerprint: true) else { return nil }
        return (message, bytes)
    }

    func sendCheck(_ index: Int, nominating: Bool, now: ContinuousClock.Instant, _ output: inout ICEOutput) {
        guard let remote = remoteCredentials,
              let (message, bytes) = bindingRequest(for: pairs[index], local: localCredentials, remote: remote, nominating: nominating)
        else { return }
        let pair = pairs[index]
        if !nominating { pairs[index].state = .inProgress }
        if nominating { nominatingPairID = pair.id }
        transactions[message.transactionID] = ICETransaction(
            purpose: .check(pairID: pair.id, nominating: nominating), request: bytes, from: pair.local.base,
            to: pair.remote.address, key: .shortTerm(password: remote.password), claimedRole: role,
            firstSent: now, nextRetransmit: now + configuration.initialRetransmitTimeout,
            rto: configuration.initialRetransmitTimeout)
        stats.checksSent += 1
        output.transmits.append(ICETransmit(from: pair.local.base, to: pair.remote.address, bytes: bytes))
    }

    // MARK: - Nomination and selection (RFC 8445 §8)

    /// Regular nomination (§8.1.1) by the controlling agent: nominate the best valid pair when
    /// no better pair is still pending, or `nominationWait` after the first valid pair.
    func considerNomination(now: ContinuousClock.Instant) {
        guard role == .controlling, !configuration.lite, nominatingPairID == nil,
              selection == nil || !selectionIsCurrent,
              let best = pairs.firstIndex(where: { $0.state == .succeeded }) else { return }
        let bestPriority = pairs[best].priority(role: role)
        let betterPending = pairs.contains {
            ($0.state == .frozen || $0.state == .waiting || $0.state == .inProgress) && $0.priority(role: role) > bestPriority
        }
        let hostPair = pairs[best].local.type == .host && pairs[best].remote.type == .host
        let wait = hostPair ? configuration.hostNominationWait : configuration.nominationWait
        let waited = firstValid.map { now >= $0 + wait } ?? false
        guard !betterPending || waited else { return }
        nominatingPairID = pairs[best].id
        triggeredQueue.insert((pairs[best].id, true), at: 0)
    }

    /// Nominated: select it (§8.1.1 / §7.3.1.5) and complete the checklist (§8.1.2).
    func select(_ index: Int, now: ContinuousClock.Instant, _ output: inout ICEOutput) {
        pairs[index].nominated = true
        guard let remote = remoteCredentials ?? (configuration.lite ? ICECredentials(usernameFragment: "", password: "") : nil)
        else { return }
        let pair = pairs[index]
        if let selection, selectionIsCurrent, selection.pair.id == pair.id { return }
        // §8.1.2: drop Frozen/Waiting pairs, stop In-Progress checks.
        let keep = pair.id
        pairs.removeAll { ($0.state == .frozen || $0.state == .waiting) && $0.id != keep }
        for i in pairs.indices where pairs[i].state == .inProgress && pairs[i].id != keep { pairs[i].state = .failed }
        transactions = transactions.filter {
            if case .check(let id, _) = $0.value.purpose { return id == keep }
            if case .consent = $0.value.purpose { return false }
            return true
        }
        triggeredQueue = []
        nominatingPairID = nil
        selection = Selection(
            pair: pair, localCredentials: localCredentials, remoteCredentials: remote, lastConsent: now,
            nextConsent: now + jitteredConsentInterval(), lastReceived: now)
        if let rtt = pair.roundTripTime { stats.selectedPairRoundTripTime = rtt }
        stats.pairsSelected += 1
        output.events.append(.selectedPairChanged(ICESelectedPair(local: pair.local, remote: pair.remote)))
        setState(.connected, &output)
        if !pairs.contains(where: { $0.state == .frozen || $0.state == .waiting || $0.state == .inProgress }) {
            setState(.completed, &output)
        }
    }

    func jitteredConsentInterval() -> Duration {
        // RFC 7675 §5.1: uniformly random between 0.8 and 1.2 times the interval.
        configuration.consentInterval * Double.random(in: 0.8...1.2)
    }

    // MARK: - Consent and liveness (RFC 7675)

    func runConsent(now: ContinuousClock.Instant, _ output: inout ICEOutput) {
        guard var current = selection, !current.consentExpired, state != .failed else { return }
        if now - current.lastConsent >= configuration.consentTimeout {
            current.consentExpired = true
            selection = current
            stats.consentFailures += 1
            transactions = transactions.filter { if case .consent = $0.value.purpose { return false }; return true }
            setState(.failed, &output)
            return
        }
        guard !configuration.lite, now >= current.nextConsent else { return }
        current.nextConsent = now + jitteredConsentInterval()
        selection = current
        guard let (message, bytes) = bindingRequest(
            for: current.pair, local: current.localCredentials, remote: current.remoteCredentials, nominating: false)
        else { return }
        transactions[message.transactionID] = ICETransaction(
            purpose: .consent(pairID: current.pair.id), request: bytes, from: current.pair.local.base,
            to: current.pair.remote.address, key: .shortTerm(password: current.remoteCredentials.password),
            claimedRole: role, firstSent: now, nextRetransmit: now + configuration.initialRetransmitTimeout,
            rto: configuration.initialRetransmitTimeout)
        stats.consentRequestsSent += 1
        output.transmits.append(ICETransmit(from: current.pair.local.base, to: current.pair.remote.address, bytes: bytes))
    }

    /// Disconnected after `disconnectedTimeout` of silence on the selected pair; failed when
    /// checks found nothing (all pairs failed after end-of-candidates, or `checkingTimeout`).
    func updateConnectivity(now: ContinuousClock.Instant, _ output: inout ICEOutput) {
        if let selection, !selection.consentExpired, state == .connected || state == .completed,
           now - selection.lastReceived >= configuration.disconnectedTimeout {
            setState(.disconnected, &output)
        }
        guard state == .checking, let checkingStarted else { return }
        let nothingLeft = !pairs.isEmpty && pairs.allSatisfy { $0.state == .failed } && triggeredQueue.isEmpty
        if (nothingLeft && remoteEndOfCandidates) || now - checkingStarted >= configuration.checkingTimeout {
            setState(.failed, &output)
        }
    }

    /// Something arrived on the selected pair: refresh liveness, leave `disconnected`.
    func markReceived(from remote: TransportAddress, to base: TransportAddress, now: ContinuousClock.Instant, consent: Bool,
                      _ output: inout ICEOutput) {
        guard var current = selection, !current.consentExpired,
              current.pair.local.base == base, current.pair.remote.address == remote else { return }
        current.lastReceived = now
        if consent { current.lastConsent = now }
        selection = current
        if state == .disconnected {
            let done = !pairs.contains { $0.state == .frozen || $0.state == .waiting || $0.state == .inProgress }
            setState(done ? .completed : .connected, &output)
        }
    }
}
