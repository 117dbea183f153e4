// SPDX-License-Identifier: Apache-2.0

import ParleyRTC

/// Seeds for FuzzSCTP, captured from real associations and rewritten into the input layout
/// (SCTPFuzz): header stripped (the harness adds the victim's), TSNs made relative. usrsctp is
/// not built with coverage instrumentation, so libFuzzer cannot find its way into chunk
/// handling by itself; mutating real traffic is what gets it there.
enum SCTPSeeds {
    /// Chunks of `packet` with the header dropped and TSNs relative, as one length-prefixed record.
    static func record(_ packet: [UInt8], nextTSN: UInt32, ackedTSN: UInt32, nextSSN: inout [UInt16: UInt16]) -> [UInt8] {
        var packet = packet
        SCTPWire.forEachChunk(packet) { type, chunk, length in
            guard length >= 8, chunk + 8 <= packet.count else { return }
            switch type {
            case SCTPWire.data:
                SCTPWire.write32(SCTPWire.read32(packet, chunk + 4) &- nextTSN, into: &packet, at: chunk + 4)
                SCTPWire.relocateSSN(&packet, chunk: chunk, length: length, next: &nextSSN, toVictim: false)
            case SCTPWire.iData, SCTPWire.forwardTSN, SCTPWire.iForwardTSN:
                SCTPWire.write32(SCTPWire.read32(packet, chunk + 4) &- nextTSN, into: &packet, at: chunk + 4)
            case SCTPWire.sack, SCTPWire.nrSack, SCTPWire.shutdown:
                SCTPWire.write32(SCTPWire.read32(packet, chunk + 4) &- ackedTSN, into: &packet, at: chunk + 4)
            default:
                break
            }
        }
        let chunks = packet.dropFirst(SCTPWire.headerLength)
        // An INIT goes out with verification tag 0 (RFC 9260 §8.5.1).
        let isInit = packet.count > SCTPWire.headerLength && packet[SCTPWire.headerLength] == SCTPWire.initChunk
        let word = chunks.count | (isInit ? 0x4000 : 0)
        return [UInt8(word >> 8), UInt8(word & 0xFF)] + chunks
    }

    static func capture() -> [(String, [UInt8])] {
        var seeds: [(String, [UInt8])] = []

        // What a client sends an established server: user messages of each kind (one
        // fragmented), unordered-unreliable ones, a channel close (RE-CONFIG), SACKs, SHUTDOWN.
        let victim = SCTPFuzz.establishedServer()
        guard let client = victim.peer, let clientLink = victim.peerLink, let clientChannel = victim.peerChannel else { return [] }
        let start = clientLink.sentCount
        for link in [victim.link, clientLink] { link.setDeliver(true) }
        do {
            try clientChannel.send(text: "hello")
            try clientChannel.send(binary: Array(repeating: 0xA5, count: 3000))
            try clientChannel.send(binary: [])
            let lossy = try client.createDataChannel(label: "lossy", reliability: .unorderedUnreliable)
            let timed = try client.createDataChannel(label: "timed", reliability: .init(ordered: false, maxPacketLifeTime: 50))
            SCTPFuzz.settle(client, [clientLink, victim.link])
            try lossy.send(text: "lossy")
            try timed.send(binary: [1, 2, 3])
            clientChannel.close()
            SCTPFuzz.settle(client, [clientLink, victim.link])
        } catch {
            preconditionFailure("seed session: \(error)")
        }
        client.close()
        SCTPFuzz.settle(client, [clientLink, victim.link])
        victim.association.close()
        var streams = victim.nextSSN
        let established = clientLink.packets[start...].map {
            record($0, nextTSN: victim.nextTSN, ackedTSN: victim.ackedTSN, nextSSN: &streams)
        }
        for (index, record) in established.enumerated() { seeds.append(("established-\(index)", [0] + record)) }
        seeds.append(("established-all", [0] + established.joined()))
        seeds.append(("established-all-live", [4] + established.joined()))

        // What a server sends a client during setup and after (INIT, INIT-ACK, COOKIE-ECHO/ACK,
        // the DCEP ACK, SACKs), for the lone client; TSNs relative to the server's INIT.
        let serverPackets = victim.link.packets
        guard let serverInit = serverPackets.lazy.compactMap(SCTPWire.initiation).first,
            let clientInit = clientLink.packets.lazy.compactMap(SCTPWire.initiation).first
        else { return seeds }
        var serverStreams: [UInt16: UInt16] = [:]
        let setup = serverPackets.prefix(8).map {
            record($0, nextTSN: serverInit.initialTSN, ackedTSN: clientInit.initialTSN &- 1, nextSSN: &serverStreams)
        }
        for (index, record) in setup.enumerated() { seeds.append(("lone-\(index)", [1] + record)) }
        seeds.append(("lone-all", [1] + setup.joined()))
        seeds.append(("lone-all-api", [9] + setup.joined()))
        return seeds
    }
}
