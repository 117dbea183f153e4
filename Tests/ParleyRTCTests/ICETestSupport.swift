// SPDX-License-Identifier: Apache-2.0

@testable import ParleyRTC

/// An in-memory network for `ICEAgent` tests: datagrams are shuttled by the test on a
/// virtual clock (5 ms one-way latency), with optional NAT mappings, a fake STUN server and
/// a drop filter.
final class ICETestNetwork {
    var now: ContinuousClock.Instant = .now
    var agents: [ICEAgent] = []
    var events: [[ICEEvent]] = []
    /// Non-STUN datagrams delivered to each agent.
    var received: [[[UInt8]]] = []
    var latency: Duration = .milliseconds(5)
    /// private base → public address: sources are rewritten, and the public address routes back.
    var nat: [TransportAddress: TransportAddress] = [:]
    /// STUN servers answered by the network itself (XOR-MAPPED-ADDRESS = the translated source).
    var stunServers: Set<TransportAddress> = []
    /// Return true to lose a datagram (after NAT translation of the source).
    var drop: (ICETransmit) -> Bool = { _ in false }
    private var inFlight: [(at: ContinuousClock.Instant, transmit: ICETransmit)] = []

    @discardableResult
    func add(_ agent: ICEAgent) -> Int {
        agents.append(agent)
        events.append([])
        received.append([])
        return agents.count - 1
    }

    func process(_ index: Int, _ output: ICEOutput) {
        events[index] += output.events
        for transmit in output.transmits { send(transmit) }
    }

    func send(_ transmit: ICETransmit) {
        var translated = transmit
        if let mapped = nat[transmit.from] { translated.from = mapped }
        if drop(translated) { return }
        inFlight.append((now + latency, translated))
    }

    /// Local candidates announced by an agent so far.
    func localCandidates(_ index: Int) -> [ICECandidate] {
        events[index].compactMap { if case .localCandidate(let c) = $0 { return c }; return nil }
    }

    func states(_ index: Int) -> [ICEConnectionState] {
        events[index].compactMap { if case .stateChanged(let s) = $0 { return s }; return nil }
    }

    func selections(_ index: Int) -> [ICESelectedPair] {
        events[index].compactMap { if case .selectedPairChanged(let p) = $0 { return p }; return nil }
    }

    /// Advances the clock in 5 ms steps, delivering datagrams and firing timers.
    func run(for duration: Duration, until done: () -> Bool = { false }) {
        let end = now + duration
        while now < end {
            if done() { return }
            now += .milliseconds(5)
            let due = inFlight.filter { $0.at <= now }
            inFlight.removeAll { $0.at <= now }
            for (_, transmit) in due { deliver(transmit) }
            for (index, agent) in agents.enumerated() {
                if let next = agent.nextTimeout, next <= now { process(index, agent.handleTimeout(now: now)) }
            }
        }
    }

    private func deliver(_ transmit: ICETransmit) {
        if stunServers.contains(transmit.to) {
            guard let request = try? STUNMessage.decode(transmit.bytes), request.type == .bindingRequest else { return }
            let response = STUNMessage(type: .bindingSuccess, transactionID: request.transactionID,
                                       attributes: [.xorMappedAddress(transmit.from)])
            send(ICETransmit(from: transmit.to, to: transmit.from, bytes: try! response.encode(fingerprint: true)))
            return
        }
        var destination = transmit.to
        if let (base, _) = nat.first(where: { $0.value == transmit.to }) { destination = base }
        guard let index = agents.firstIndex(where: { agent in
            agent.localCandidates.contains { $0.type == .host && $0.base == destination }
        }) else { return }
        let agent = agents[index]
        if PacketDemux.classify(transmit.bytes) == .stun {
            process(index, agent.receive(transmit.bytes, from: transmit.from, to: destination, now: now))
        } else {
            received[index].append(transmit.bytes)
            process(index, agent.noteInboundTraffic(from: transmit.from, to: destination, now: now))
        }
    }

    /// Gathers host candidates on both agents, exchanges credentials and trickles candidates.
    func introduce(_ a: Int, _ b: Int, aHosts: [TransportAddress], bHosts: [TransportAddress], bLite: Bool = false) {
        process(a, agents[a].gather(hostAddresses: aHosts, now: now))
        process(b, agents[b].gather(hostAddresses: bHosts, now: now))
        process(a, agents[a].setRemoteCredentials(agents[b].localCredentials, lite: bLite, now: now))
        process(b, agents[b].setRemoteCredentials(agents[a].localCredentials, now: now))
        for candidate in localCandidates(b) { process(a, agents[a].addRemoteCandidate(candidate, now: now)) }
        for candidate in localCandidates(a) { process(b, agents[b].addRemoteCandidate(candidate, now: now)) }
    }

    /// Sends an application datagram from agent `index` on its selected pair.
    func sendData(_ index: Int, _ payload: [UInt8]) -> Bool {
        guard let transmit = agents[index].transmit(payload) else { return false }
        send(transmit)
        return true
    }
}

func address(_ text: String, _ port: UInt16) -> TransportAddress {
    TransportAddress(address: IPAddress(text)!, port: port)
}

func makeAgent(_ role: ICERole, tieBreaker: UInt64? = nil, lite: Bool = false, servers: [ICEServer] = []) -> ICEAgent {
    var configuration = ICEAgentConfiguration(role: role)
    configuration.tieBreaker = tieBreaker
    configuration.lite = lite
    configuration.servers = servers
    return ICEAgent(configuration: configuration)
}

/// A DTLS-looking datagram (RFC 7983 first byte 20–63), so the harness treats it as media.
func mediaDatagram(_ text: String) -> [UInt8] { [23] + Array(text.utf8) }
