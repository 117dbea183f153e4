// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

/// Two sans-IO agents on the in-memory `ICETestNetwork` with a virtual clock.
@Suite("ICE agent (in memory)")
struct ICEAgentTests {
    let a1 = address("10.0.0.1", 1000)
    let b1 = address("10.0.0.2", 2000)

    @Test("credentials, priorities and foundations follow RFC 8839 / RFC 8445 §5.1.2, §6.1.2.3")
    func basics() {
        let credentials = ICECredentials.random()
        #expect(credentials.isValid)
        #expect(credentials.usernameFragment.count >= 4 && credentials.password.count >= 22)
        #expect(ICECredentials.random() != credentials)
        #expect(ICECandidate.priority(type: .host) == 2_130_706_431)  // 126<<24 | 65535<<8 | 255
        #expect(ICECandidatePair.priority(controlling: 10, controlled: 20) == (10 << 32) + 40)
        #expect(ICECandidatePair.priority(controlling: 20, controlled: 10) == (10 << 32) + 40 + 1)
        let f1 = ICEFoundation.compute(type: .host, baseAddress: IPAddress("10.0.0.1")!, serverAddress: nil, transport: .udp)
        let f2 = ICEFoundation.compute(type: .srflx, baseAddress: IPAddress("10.0.0.1")!, serverAddress: IPAddress("192.0.2.9"), transport: .udp)
        #expect(f1 != f2)
        #expect(f1 == ICEFoundation.compute(type: .host, baseAddress: IPAddress("10.0.0.1")!, serverAddress: nil, transport: .udp))

        let agent = makeAgent(.controlling)
        let output = agent.gather(hostAddresses: [a1, address("10.0.1.1", 1001)], now: .now)
        let hosts = output.events.compactMap { if case .localCandidate(let c) = $0 { return c }; return nil }
        #expect(hosts.count == 2)
        #expect(hosts[0].priority > hosts[1].priority, "local preference decreases by order")
        #expect(output.events.last == .gatheringComplete)
        // Loopback only when asked.
        #expect(agent.gather(hostAddresses: [address("127.0.0.1", 5)], now: .now).events.contains { if case .localCandidate = $0 { return true }; return false } == false)
    }

    @Test("controlling ↔ controlled connect with regular nomination; media crosses both ways")
    func connect() throws {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlling))
        let b = net.add(makeAgent(.controlled))
        net.introduce(a, b, aHosts: [a1], bHosts: [b1])
        net.run(for: .seconds(5)) { net.agents[a].state == .completed && net.agents[b].state == .completed }
        #expect(net.states(a) == [.checking, .connected, .completed])
        #expect(net.states(b) == [.checking, .connected, .completed])
        let selectedA = try #require(net.agents[a].selectedPair)
        let selectedB = try #require(net.agents[b].selectedPair)
        #expect(selectedA.localBase == a1 && selectedA.remoteAddress == b1)
        #expect(selectedB.localBase == b1 && selectedB.remoteAddress == a1)
        #expect(net.selections(a).count == 1 && net.selections(b).count == 1)
        // Regular nomination: an ordinary check first, then one with USE-CANDIDATE.
        #expect(net.agents[a].stats.checksSent >= 2)
        #expect(net.agents[a].stats.successResponsesReceived >= 2)
        #expect(net.agents[a].stats.selectedPairRoundTripTime != nil)
        #expect(net.sendData(a, mediaDatagram("from a")))
        #expect(net.sendData(b, mediaDatagram("from b")))
        net.run(for: .milliseconds(50))
        #expect(net.received[b] == [mediaDatagram("from a")])
        #expect(net.received[a] == [mediaDatagram("from b")])
        // Consent keeps it alive well past the 30 s consent timeout.
        net.run(for: .seconds(45))
        #expect(net.agents[a].state == .completed && net.agents[b].state == .completed)
        #expect(net.agents[a].stats.consentRequestsSent >= 7)
        #expect(net.agents[a].stats.consentFailures == 0)
    }

    @Test("role conflict (both controlling) is settled by 487 and the tie-breaker")
    func roleConflict() throws {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlling, tieBreaker: 100))
        let b = net.add(makeAgent(.controlling, tieBreaker: 50))
        // B learns A first, so B's check reaches A, which has the larger tie-breaker: 487.
        net.process(a, net.agents[a].gather(hostAddresses: [a1], now: net.now))
        net.process(b, net.agents[b].gather(hostAddresses: [b1], now: net.now))
        net.process(b, net.agents[b].setRemoteCredentials(net.agents[a].localCredentials, now: net.now))
        for c in net.localCandidates(a) { net.process(b, net.agents[b].addRemoteCandidate(c, now: net.now)) }
        net.run(for: .milliseconds(100))
        #expect(net.agents[a].stats.errorResponsesSent == 1)
        #expect(net.agents[b].role == .controlled)
        #expect(net.events[b].contains(.roleChanged(.controlled)))
        net.process(a, net.agents[a].setRemoteCredentials(net.agents[b].localCredentials, now: net.now))
        for c in net.localCandidates(b) { net.process(a, net.agents[a].addRemoteCandidate(c, now: net.now)) }
        net.run(for: .seconds(5)) { net.agents[a].state == .completed && net.agents[b].state == .completed }
        #expect(net.agents[a].role == .controlling && net.agents[b].role == .controlled)
        #expect(net.agents[a].stats.roleSwitches == 0 && net.agents[b].stats.roleSwitches == 1)
        #expect(net.agents[a].selectedPair != nil && net.agents[b].selectedPair != nil)
    }

    @Test("the larger tie-breaker wins when both are controlled too")
    func roleConflictControlled() {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlled, tieBreaker: 7))
        let b = net.add(makeAgent(.controlled, tieBreaker: 9))
        net.introduce(a, b, aHosts: [a1], bHosts: [b1])
        net.run(for: .seconds(5)) { net.agents[a].state == .completed && net.agents[b].state == .completed }
        #expect(net.agents[b].role == .controlling && net.agents[a].role == .controlled)
        #expect(net.agents[a].state == .completed && net.agents[b].state == .completed)
    }

    @Test("trickled candidates before and after the remote credentials")
    func trickle() {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlling))
        let b = net.add(makeAgent(.controlled))
        let b2 = address("10.0.0.3", 2001)
        // B's second interface is unreachable: its pair must fail, the first must win.
        net.drop = { $0.to == b2 || $0.from == b2 }
        net.process(a, net.agents[a].gather(hostAddresses: [a1], now: net.now))
        net.process(b, net.agents[b].gather(hostAddresses: [b2, b1], now: net.now))
        // Before credentials: buffered, nothing paired, nothing sent.
        let bCandidates = net.localCandidates(b)
        net.process(a, net.agents[a].addRemoteCandidate(bCandidates[0], now: net.now))
        #expect(net.agents[a].pairs.isEmpty && net.agents[a].state == .new)
        net.run(for: .milliseconds(200))
        #expect(net.agents[a].stats.checksSent == 0)
        net.process(a, net.agents[a].setRemoteCredentials(net.agents[b].localCredentials, now: net.now))
        #expect(net.agents[a].pairs.count == 1)
        net.process(b, net.agents[b].setRemoteCredentials(net.agents[a].localCredentials, now: net.now))
        for c in net.localCandidates(a) { net.process(b, net.agents[b].addRemoteCandidate(c, now: net.now)) }
        net.run(for: .milliseconds(300))
        // After credentials: the reachable candidate arrives late.
        net.process(a, net.agents[a].addRemoteCandidate(bCandidates[1], now: net.now))
        net.run(for: .seconds(10)) { net.agents[a].state == .completed && net.agents[b].state == .completed }
        #expect(net.agents[a].selectedPair?.remoteAddress == b1)
        #expect(net.agents[b].selectedPair?.localBase == b1)
        // A mDNS name and a TCP candidate are ignored (no resolver, no ICE-TCP yet).
        let mdns = ICECandidate(foundation: "9", priority: 1, address: "abc.local", port: 9, type: .host)
        let tcp = ICECandidate(foundation: "8", transport: .tcp, priority: 1, address: "10.0.0.9", port: 9, type: .host, tcpType: .passive)
        _ = net.agents[a].addRemoteCandidate(mdns, now: net.now)
        _ = net.agents[a].addRemoteCandidate(tcp, now: net.now)
        #expect(net.agents[a].stats.remoteCandidatesIgnored == 2)
    }

    @Test("a lost check is recovered by retransmission")
    func retransmission() {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlling))
        let b = net.add(makeAgent(.controlled))
        var lost = 0
        // Lose the first two Binding requests A sends and B's own checks, so only A's
        // retransmission can connect the pair.
        net.drop = { transmit in
            guard let message = try? STUNMessage.decode(transmit.bytes), message.type == .bindingRequest else { return false }
            if transmit.from == self.b1 && net.agents[a].state == .checking { return true }
            if transmit.from == self.a1 && lost < 2 { lost += 1; return true }
            return false
        }
        net.introduce(a, b, aHosts: [a1], bHosts: [b1])
        net.run(for: .seconds(10)) { net.agents[a].state == .completed && net.agents[b].state == .completed }
        #expect(lost == 2)
        #expect(net.agents[a].stats.retransmissions >= 2)
        #expect(net.agents[a].state == .completed && net.agents[b].state == .completed)
    }

    @Test("peer-reflexive candidates are learned from checks behind a NAT")
    func peerReflexive() throws {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlling))
        let b = net.add(makeAgent(.controlled))
        let bPublic = address("203.0.113.9", 40000)
        net.nat[b1] = bPublic
        // B's host address is private: unreachable from A except through the mapping B's own
        // packets create. A never hears of bPublic through signalling.
        net.drop = { $0.to == self.b1 }
        net.introduce(a, b, aHosts: [a1], bHosts: [b1])
        net.run(for: .seconds(10)) { net.agents[a].state == .completed && net.agents[b].state == .completed }
        #expect(net.agents[a].stats.peerReflexiveRemote == 1)
        #expect(net.agents[a].remoteCandidates.contains { $0.type == .prflx && $0.address == bPublic })
        #expect(net.agents[b].stats.peerReflexiveLocal == 1)
        #expect(net.agents[b].localCandidates.contains { $0.type == .prflx && $0.address == bPublic && $0.base == self.b1 })
        let selected = try #require(net.agents[a].selectedPair)
        #expect(selected.remoteAddress == bPublic && selected.remote.type == .prflx)
        #expect(net.sendData(a, mediaDatagram("to nat")))
        net.run(for: .milliseconds(20))
        #expect(net.received[b] == [mediaDatagram("to nat")])
    }

    @Test("server-reflexive gathering through a STUN server")
    func serverReflexive() {
        let net = ICETestNetwork()
        let stun = address("198.51.100.1", 3478)
        net.stunServers = [stun]
        net.nat[a1] = address("203.0.113.1", 50000)
        let a = net.add(makeAgent(.controlling, servers: [.stun(stun), .turn(stun, transport: .udp, username: "u", credential: "p")]))
        net.process(a, net.agents[a].gather(hostAddresses: [a1], now: net.now))
        #expect(net.agents[a].gatheringState == .gathering)
        net.run(for: .seconds(1)) { net.agents[a].gatheringState == .complete }
        let candidates = net.localCandidates(a)
        #expect(candidates.map(\.type) == [.host, .srflx])
        #expect(candidates.last?.address == "203.0.113.1" && candidates.last?.port == 50000)
        #expect(candidates.last?.relatedAddress == "10.0.0.1" && candidates.last?.relatedPort == 1000)
        #expect(net.events[a].last == .gatheringComplete)
        #expect(net.agents[a].stats.serverReflexiveGathered == 1 && net.agents[a].stats.unsupportedServers == 1)
    }

    @Test("ICE-lite remote: we become controlling and the lite peer never checks")
    func liteRemote() {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlled))  // would be controlled, but the peer is lite
        let b = net.add(makeAgent(.controlled, lite: true))
        net.introduce(a, b, aHosts: [a1], bHosts: [b1], bLite: true)
        #expect(net.agents[a].role == .controlling)
        net.run(for: .seconds(5)) { net.agents[a].state == .completed && net.agents[b].state == .connected }
        #expect(net.agents[a].state == .completed)
        #expect(net.agents[b].selectedPair?.remoteAddress == a1)
        #expect(net.agents[b].stats.checksSent == 0 && net.agents[b].stats.consentRequestsSent == 0)
        #expect(net.sendData(b, mediaDatagram("lite media")))
        net.run(for: .seconds(40))
        #expect(net.received[a] == [mediaDatagram("lite media")])
        #expect(net.agents[a].state == .completed, "consent refreshed by the lite peer's answers")
        #expect(net.agents[b].selectedPair != nil, "the lite peer counts our consent checks")
    }

    @Test("consent freshness: a silent peer makes us disconnected, then failed after 30 s")
    func consentLoss() {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlling))
        let b = net.add(makeAgent(.controlled))
        net.introduce(a, b, aHosts: [a1], bHosts: [b1])
        net.run(for: .seconds(5)) { net.agents[a].state == .completed && net.agents[b].state == .completed }
        #expect(net.agents[a].state == .completed)
        let silentFrom = net.now
        net.drop = { $0.from == self.b1 }  // B goes silent
        net.run(for: .seconds(40)) { net.agents[a].state == .failed }
        #expect(net.states(a).suffix(2) == [.disconnected, .failed])
        #expect(net.now - silentFrom >= .seconds(25) && net.now - silentFrom <= .seconds(31))
        #expect(net.agents[a].stats.consentFailures == 1)
        #expect(net.agents[a].selectedPair == nil)
        #expect(net.sendData(a, mediaDatagram("x")) == false, "no media without consent (RFC 7675 §5.1)")
    }

    @Test("ICE restart moves to a new pair while media continues on the old one")
    func restart() throws {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlling))
        let b = net.add(makeAgent(.controlled))
        net.introduce(a, b, aHosts: [a1], bHosts: [b1])
        net.run(for: .seconds(5)) { net.agents[a].state == .completed && net.agents[b].state == .completed }
        #expect(net.agents[a].selectedPair?.remoteAddress == b1)

        // B moves to a new interface; both restart (new credentials, new checklist).
        let b2 = address("10.0.0.3", 2002)
        net.process(a, net.agents[a].restart(now: net.now))
        net.process(b, net.agents[b].restart(now: net.now))
        #expect(net.agents[a].pairs.isEmpty)
        #expect(net.sendData(a, mediaDatagram("during restart")), "old pair still carries media")
        net.events[b] = []
        net.process(b, net.agents[b].gather(hostAddresses: [b2], now: net.now))
        net.process(a, net.agents[a].setRemoteCredentials(net.agents[b].localCredentials, now: net.now))
        net.process(b, net.agents[b].setRemoteCredentials(net.agents[a].localCredentials, now: net.now))
        let newCandidate = try #require(net.localCandidates(b).first { $0.port == 2002 })
        net.process(a, net.agents[a].addRemoteCandidate(newCandidate, now: net.now))
        net.run(for: .seconds(5)) { net.agents[a].selectedPair?.remoteAddress == b2 && net.agents[b].selectedPair?.localBase == b2 }
        #expect(net.received[b] == [mediaDatagram("during restart")])
        #expect(net.selections(a).map(\.remoteAddress) == [b1, b2])
        #expect(net.agents[b].selectedPair?.localBase == b2)
        #expect(net.agents[a].stats.restarts == 1)
        #expect(net.agents[a].stats.pairsSelected == 2 && net.agents[b].stats.pairsSelected == 2)
        #expect(net.agents[a].state == .completed)
        net.run(for: .seconds(35))
        #expect(net.agents[a].state == .completed && net.agents[b].state == .completed, "consent runs on the new pair")
    }

    @Test("all pairs failing after end-of-candidates fails the agent")
    func allPairsFail() {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlling))
        let b = net.add(makeAgent(.controlled))
        net.drop = { _ in true }
        net.introduce(a, b, aHosts: [a1], bHosts: [b1])
        net.agents[a].addRemoteEndOfCandidates()
        net.run(for: .seconds(20)) { net.agents[a].state == .failed }
        #expect(net.agents[a].state == .failed)
        #expect(net.agents[a].pairs.allSatisfy { $0.state == .failed })
    }
}
