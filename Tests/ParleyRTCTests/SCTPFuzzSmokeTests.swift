// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

/// Deterministic fuzzing of inbound SCTP for CI: random bytes, random bytes behind a valid
/// common header and CRC32c, and real packets (captured from an in-memory session) with
/// bytes flipped and the checksum fixed, fed to a connected association and to one that has
/// only sent INIT. Nothing may crash, and the connected association must still deliver.
@Suite("Fuzz smoke: inbound SCTP packets (seeded)")
struct SCTPFuzzSmokeTests {
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    @Test("random and mutated packets do not crash the association")
    func fuzz() async throws {
        // Real packets to mutate: a whole session's worth in both directions.
        let seedPair = SCTPPair(keepPackets: true)
        try await seedPair.connect()
        let seedChannel = try seedPair.client.createDataChannel(label: "seed", reliability: .unorderedUnreliable)
        try await waitUntil("seed open") { seedChannel.state == .open }
        try seedChannel.send(binary: sctpPayload(3000))
        seedChannel.close()
        try await waitUntil("seed closed") { seedChannel.state == .closed }
        seedPair.close()
        let seeds = seedPair.clientLink.state.withLock { $0.packets } + seedPair.serverLink.state.withLock { $0.packets }
        #expect(seeds.count > 5)

        let pair = SCTPPair()
        defer { pair.close() }
        try await pair.connect()
        let channel = try pair.client.createDataChannel(label: "victim")
        try await waitUntil("open") { channel.state == .open }
        let lonely = SCTPAssociation(transport: SCTPMemoryLink(), configuration: .init(role: .server))
        try lonely.start()
        defer { lonely.close() }

        var random = Random(state: 0xF0CC_ACC1A)
        for round in 0..<3000 {
            var packet: [UInt8]
            switch round % 3 {
            case 0:
                packet = random.bytes(Int(random.next() % 1200))
            case 1:
                packet = [0x13, 0x88, 0x13, 0x88] + random.bytes(8) + random.bytes(Int(random.next() % 600))
                packet = sctpWithChecksum(packet)
            default:
                packet = seeds[Int(random.next() % UInt64(seeds.count))]
                for _ in 0..<(1 + random.next() % 4) where packet.count > 12 {
                    let index = 12 + Int(random.next() % UInt64(packet.count - 12))
                    packet[index] ^= UInt8(truncatingIfNeeded: random.next() | 1)
                }
                if random.next() % 4 == 0 { packet = Array(packet.prefix(Int(random.next() % UInt64(packet.count + 1)))) }
                packet = sctpWithChecksum(packet)
            }
            pair.server.receive(packet)
            lonely.receive(packet)
            _ = DCEPMessage.decode(Array(packet.dropFirst(12)))
        }
        // Still alive: whatever state the fuzzing left it in, the queue answers.
        _ = pair.server.stats
        _ = lonely.state
        #expect(pair.server.stats.packetsReceived >= 3000)
    }
}
