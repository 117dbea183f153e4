// SPDX-License-Identifier: Apache-2.0

/// Incoming STUN: requests from the peer (RFC 8445 §7.3) and responses to our transactions
/// (§7.2.5, RFC 7675, RFC 8445 §5.1.1.2).
extension ICEAgent {
    /// Feeds one STUN datagram (RFC 7983 first byte 0–3) that arrived from `remote` on the
    /// socket bound to `localBase`. Anything that is not an acceptable STUN message is counted
    /// in `stats.invalidMessages` and dropped (answered with an error where RFC 8489 says so).
    public func receive(
        _ datagram: [UInt8], from remote: TransportAddress, to localBase: TransportAddress, now: ContinuousClock.Instant
    ) -> ICEOutput {
        var output = ICEOutput()
        guard state != .closed else { return output }
        observe(now)
        guard isSTUN(datagram), let message = try? STUNMessage.decode(datagram) else {
            stats.invalidMessages += 1
            return output
        }
        guard message.type.method == .binding else {
            stats.invalidMessages += 1
            return output
        }
        switch message.type.messageClass {
        case .request:
            handleRequest(message, datagram, from: remote, to: localBase, now: now, &output)
        case .successResponse, .errorResponse:
            handleResponse(message, datagram, from: remote, to: localBase, now: now, &output)
        case .indication:
            // Binding indications are keepalives (RFC 8445 §11): liveness only.
            markReceived(from: remote, to: localBase, now: now, consent: false, &output)
        }
        return output
    }

    /// A non-STUN datagram (DTLS, SRTP) arrived: it proves liveness (not consent, RFC 7675 §5.1).
    public func noteInboundTraffic(from remote: TransportAddress, to localBase: TransportAddress, now: ContinuousClock.Instant) -> ICEOutput {
        var output = ICEOutput()
        observe(now)
        markReceived(from: remote, to: localBase, now: now, consent: false, &output)
        return output
    }

    // MARK: - Requests (RFC 8445 §7.3)

    func handleRequest(
        _ message: STUNMessage, _ bytes: [UInt8], from remote: TransportAddress, to base: TransportAddress,
        now: ContinuousClock.Instant, _ output: inout ICEOutput
    ) {
        guard localCandidates.contains(where: { $0.base == base && $0.type == .host }) else {
            stats.invalidMessages += 1
            return
        }
        // §7.2.2: checks carry FINGERPRINT.
        guard (try? STUNMessage.verifyFingerprint(bytes)) != nil else {
            stats.invalidMessages += 1
            return
        }
        func reject(_ code: STUNErrorCode, key: STUNIntegrityKey? = nil, extra: [STUNAttribute] = []) {
            stats.invalidMessages += 1
            sendError(code, to: message, from: base, to: remote, key: key, extra: extra, &output)
        }
        // RFC 8489 §9.1.3: USERNAME and MESSAGE-INTEGRITY are required, 400 otherwise.
        guard let username = message.username, message.attribute(.messageIntegrity) != nil,
              let colon = username.firstIndex(of: ":") else {
            reject(.badRequest)
            return
        }
        let ours = String(username[..<colon])
        let credentials: ICECredentials
        var currentGeneration = true
        if ours == localCredentials.usernameFragment {
            credentials = localCredentials
        } else if let selection, ours == selection.localCredentials.usernameFragment {
            credentials = selection.localCredentials  // pre-restart generation, still carrying media
            currentGeneration = false
        } else {
            reject(.unauthenticated)
            return
        }
        let key = STUNIntegrityKey.shortTerm(password: credentials.password)
        guard (try? STUNMessage.verifyIntegrity(bytes, key: key)) != nil else {
            reject(.unauthenticated)
            return
        }
        let unknown = message.unknownComprehensionRequired
        guard unknown.isEmpty else {
            reject(.unknownAttribute, key: key, extra: [.unknownAttributes(unknown)])
            return
        }
        stats.checksReceived += 1

        // §7.3.1.1: role conflict.
        if !configuration.lite && currentGeneration {
            if role == .controlling, let theirs = message.iceControlling {
                stats.roleConflictsDetected += 1
                if tieBreaker >= theirs {
                    sendError(.roleConflict, to: message, from: base, to: remote, key: key, extra: [], &output)
                    return
                }
                switchRole(&output)
            } else if role == .controlled, let theirs = message.iceControlled {
                stats.roleConflictsDetected += 1
                if tieBreaker >= theirs {
                    switchRole(&output)
                } else {
                    sendError(.roleConflict, to: message, from: base, to: remote, key: key, extra: [], &output)
                    return
                }
            }
        }

        // The success response (RFC 8489 §7.3.1): XOR-MAPPED-ADDRESS = the source we saw.
        var response = STUNMessage(type: .bindingSuccess, transactionID: message.transactionID)
        response.attributes = [.xorMappedAddress(remote)]
        if let encoded = try? response.encode(integrityKey: key, fingerprint: true) {
            stats.responsesSent += 1
            output.transmits.append(ICETransmit(from: base, to: remote, bytes: encoded))
        }
        markReceived(from: remote, to: base, now: now, consent: configuration.lite, &output)
        guard currentGeneration else { return }

        // §7.3.1.3: an unknown source is a peer-reflexive remote candidate.
        if !remoteCandidates.contains(where: { $0.address == remote }) {
            let candidate = ICECandidate(
                foundation: "prflx\(nextPeerReflexiveFoundation)", priority: message.priority ?? 0,
                address: "\(remote.address)", port: remote.port, type: .prflx)
            nextPeerReflexiveFoundation += 1
            let learned = ICERemoteCandidate(candidate: candidate, address: remote)
            remoteCandidates.append(learned)
            stats.peerReflexiveRemote += 1
            pairRemote(learned)
            sortPairs()
        }

        if configuration.lite {
            handleRequestAsLite(message, from: remote, to: base, now: now, &output)
            return
        }
        guard remoteCredentials != nil,
              let index = pairs.firstIndex(where: { $0.local.base == base && $0.remote.address == remote }) else {
            if message.useCandidate { earlyNominations.insert("\(base)|\(remote)") }
            return
        }
        // §7.3.1.4: triggered check.
        switch pairs[index].state {
        case .succeeded, .inProgress:
            break
        case .waiting, .frozen, .failed:
            if !(selection != nil && selectionIsCurrent) {
                pairs[index].state = .waiting
                if !triggeredQueue.contains(where: { $0.pairID == pairs[index].id }) {
                    triggeredQueue.append((pairs[index].id, false))
                }
            }
        }
        // §7.3.1.5: USE-CANDIDATE on the controlled side.
        if role == .controlled && message.useCandidate {
            if pairs[index].state == .succeeded {
                select(index, now: now, &output)
            } else {
                pairs[index].nominateOnSuccess = true
            }
        }
    }

    /// A lite agent does not check: a valid request makes its pair valid; USE-CANDIDATE selects
    /// it (RFC 8445 §7.3.1.5 for lite implementations).
    func handleRequestAsLite(
        _ message: STUNMessage, from remote: TransportAddress, to base: TransportAddress,
        now: ContinuousClock.Instant, _ output: inout ICEOutput
    ) {
        guard let local = localCandidates.first(where: { $0.base == base && $0.type == .host }),
              let remoteCandidate = remoteCandidates.first(where: { $0.address == remote }) else { return }
        var index = pairs.firstIndex { $0.local.base == base && $0.remote.address == remote }
        if index == nil {
            pairs.append(ICECandidatePair(id: nextPairID, local: local, remote: remoteCandidate, state: .succeeded))
            nextPairID += 1
            index = pairs.count - 1
        }
        if state == .new {
            checkingStarted = now
            setState(.checking, &output)
        }
        if message.useCandidate, let index { select(index, now: now, &output) }
    }

    func sendError(
        _ code: STUNErrorCode, to request: STUNMessage, from base: TransportAddress, to remote: TransportAddress,
        key: STUNIntegrityKey?, extra: [STUNAttribute], _ output: inout ICEOutput
    ) {
        var response = STUNMessage(type: .bindingError, transactionID: request.transactionID)
        response.attributes = [.errorCode(code)] + extra
        guard let encoded = try? response.encode(integrityKey: key, fingerprint: true) else { return }
        stats.errorResponsesSent += 1
        output.transmits.append(ICETransmit(from: base, to: remote, bytes: encoded))
    }

    // MARK: - Responses (RFC 8445 §7.2.5)

    func handleResponse(
        _ message: STUNMessage, _ bytes: [UInt8], from remote: TransportAddress, to base: TransportAddress,
        now: ContinuousClock.Instant, _ output: inout ICEOutput
    ) {
        guard let transaction = transactions[message.transactionID] else {
            stats.invalidMessages += 1  // late duplicate or forged
            return
        }
        if message.fingerprint != nil, (try? STUNMessage.verifyFingerprint(bytes)) == nil {
            stats.invalidMessages += 1
            return
        }
        if let key = transaction.key {
            guard (try? STUNMessage.verifyIntegrity(bytes, key: key)) != nil else {
                stats.invalidMessages += 1  // keep waiting: a forged response must not end the transaction
                return
            }
        }
        transactions[message.transactionID] = nil
        let isSuccess = message.type.messageClass == .successResponse
        if isSuccess { stats.successResponsesReceived += 1 } else { stats.errorResponsesReceived += 1 }
        let rtt = now - transaction.firstSent

        switch transaction.purpose {
        case .serverReflexive:
            if isSuccess, let mapped = message.xorMappedAddress ?? message.mappedAddress {
                addServerReflexive(mapped: mapped, base: transaction.from, server: transaction.to, &output)
            }
            finishGatheringIfDone(&output)

        case .consent(let pairID):
            guard isSuccess, remote == transaction.to, base == transaction.from else { return }
            stats.consentResponsesReceived += 1
            if let selection, selection.pair.id == pairID {
                stats.selectedPairRoundTripTime = rtt
            }
            markReceived(from: remote, to: base, now: now, consent: true, &output)

        case .check(let pairID, let nominating):
            if nominatingPairID == pairID && nominating { nominatingPairID = nil }
            guard let index = pairIndex(id: pairID) else { return }
            if !isSuccess {
                if message.errorCode?.code == 487 {
                    // §7.2.5.1: switch role if we still hold the one we claimed; retry.
                    stats.roleConflictsDetected += 1
                    if transaction.claimedRole == role { switchRole(&output) }
                    if let retry = pairIndex(id: pairID) {
                        pairs[retry].state = .waiting
                        triggeredQueue.append((pairID, false))
                    }
                } else {
                    pairs[index].state = .failed
                }
                return
            }
            // §7.2.5.2.1: non-symmetric addresses fail the check.
            guard remote == transaction.to, base == transaction.from else {
                pairs[index].state = .failed
                return
            }
            checkSucceeded(index, mapped: message.xorMappedAddress, nominating: nominating, rtt: rtt, now: now, &output)
        }
    }

    func checkSucceeded(
        _ index: Int, mapped: TransportAddress?, nominating: Bool, rtt: Duration, now: ContinuousClock.Instant,
        _ output: inout ICEOutput
    ) {
        pairs[index].state = .succeeded
        pairs[index].roundTripTime = rtt
        pairs[index].lastReceived = now
        if let mapped {
            pairs[index].mappedAddress = mapped
            // §7.2.5.3.1: a mapped address that is none of our candidates is a local
            // peer-reflexive candidate (kept for stats; not trickled, RFC 8838 §4.3).
            if !localCandidates.contains(where: { $0.address == mapped }) {
                let base = pairs[index].local.base
                let localPreference = UInt16(truncatingIfNeeded: pairs[index].local.priority >> 8)
                let candidate = ICECandidate(
                    foundation: ICEFoundation.compute(type: .prflx, baseAddress: base.address, serverAddress: nil, transport: .udp),
                    priority: ICECandidate.priority(type: .prflx, localPreference: localPreference),
                    address: "\(mapped.address)", port: mapped.port, type: .prflx,
                    relatedAddress: "\(base.address)", relatedPort: base.port)
                localCandidates.append(ICELocalCandidate(candidate: candidate, address: mapped, base: base, transport: .udp, server: nil))
                stats.peerReflexiveLocal += 1
            }
        }
        if firstValid == nil { firstValid = now }
        // §7.2.5.3.3: unfreeze the pairs of the same foundation.
        let foundation = pairs[index].foundation
        for i in pairs.indices where pairs[i].state == .frozen && pairs[i].foundation == foundation {
            pairs[i].state = .waiting
        }
        if let selection, selection.pair.id == pairs[index].id { stats.selectedPairRoundTripTime = rtt }
        let nominate = (role == .controlling && nominating) || (role == .controlled && pairs[index].nominateOnSuccess)
        if nominate { select(index, now: now, &output) }
    }

    func addServerReflexive(mapped: TransportAddress, base: TransportAddress, server: TransportAddress, _ output: inout ICEOutput) {
        // §5.1.3: a server-reflexive address equal to its base (no NAT) is redundant.
        guard mapped != base, !localCandidates.contains(where: { $0.address == mapped && $0.type == .srflx }),
              let host = localCandidates.first(where: { $0.base == base && $0.type == .host }) else { return }
        let localPreference = UInt16(truncatingIfNeeded: host.priority >> 8)
        let candidate = ICECandidate(
            foundation: ICEFoundation.compute(type: .srflx, baseAddress: base.address, serverAddress: server.address, transport: .udp),
            priority: ICECandidate.priority(type: .srflx, localPreference: localPreference),
            address: "\(mapped.address)", port: mapped.port, type: .srflx,
            relatedAddress: "\(base.address)", relatedPort: base.port)
        localCandidates.append(ICELocalCandidate(candidate: candidate, address: mapped, base: base, transport: .udp, server: server))
        stats.serverReflexiveGathered += 1
        output.events.append(.localCandidate(candidate))
    }
}
