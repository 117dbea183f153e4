// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

/// Random and mutated datagrams fed to a connected agent: no crash, every reject counted as
/// invalid, and the connection survives.
@Suite("ICE fuzz smoke")
struct ICEFuzzSmokeTests {
    @Test("random and mutated STUN datagrams")
    func fuzz() throws {
        let net = ICETestNetwork()
        let a = net.add(makeAgent(.controlling))
        let b = net.add(makeAgent(.controlled))
        let a1 = address("10.0.0.1", 1000)
        let b1 = address("10.0.0.2", 2000)
        var seeds: [[UInt8]] = []
        // Capture real checks and responses as mutation seeds.
        net.drop = { transmit in
            if seeds.count < 16 { seeds.append(transmit.bytes) }
            return false
        }
        net.introduce(a, b, aHosts: [a1], bHosts: [b1])
        net.run(for: .seconds(3)) { net.agents[a].state == .completed && net.agents[b].state == .completed }
        #expect(net.agents[b].state == .completed)
        try #require(!seeds.isEmpty)

        let agent = net.agents[b]
        let before = agent.stats.invalidMessages
        var rng = SplitMix64(seed: 0x1CE)
        var fed = 0
        for i in 0..<5000 {
            let datagram: [UInt8]
            if i % 4 == 0 {
                datagram = (0..<Int.random(in: 0...120, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                datagram = mutate(seeds[i % seeds.count], using: &rng)
            }
            let from = i % 2 == 0 ? a1 : address("192.0.2.\(i % 200 + 1)", UInt16(i % 60000 + 1))
            _ = agent.receive(datagram, from: from, to: b1, now: net.now)
            fed += 1
        }
        #expect(fed == 5000)
        #expect(agent.stats.invalidMessages > before + 1000, "rejects are counted")
        #expect(agent.state != .closed)
        net.run(for: .seconds(2))
        #expect(agent.selectedPair?.remoteAddress == a1, "the selected pair survives")
    }
}
