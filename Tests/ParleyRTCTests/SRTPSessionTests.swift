// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

@Suite("SRTP session (libsrtp2, keys from a real DTLS handshake)")
struct SRTPSessionTests {
    /// A client and a server session keyed by an in-process handshake with `profile`.
    static func sessions(_ profile: SRTPProtectionProfile) throws -> (client: SRTPSession, server: SRTPSession) {
        let peers = try DTLSPeers.make(clientProfiles: [profile], serverProfiles: [profile])
        try peers.handshake()
        let clientKeys = try #require(peers.client.keyingMaterial)
        let serverKeys = try #require(peers.server.keyingMaterial)
        return (try SRTPSession(keyingMaterial: clientKeys, role: .client),
                try SRTPSession(keyingMaterial: serverKeys, role: .server))
    }

    @Test("RTP and RTCP round trip both ways", arguments: SRTPProtectionProfile.allCases)
    func roundTrip(profile: SRTPProtectionProfile) throws {
        let (client, server) = try Self.sessions(profile)
        for (sender, receiver) in [(client, server), (server, client)] {
            for sequence: UInt16 in [1, 2, 3, 1000] {
                let plain = rtpPacket(sequence: sequence)
                var packet = plain
                try sender.protectRTP(&packet)
                #expect(packet.count == plain.count + profile.tagLength)
                #expect(Array(packet[0..<12]) == Array(plain[0..<12]), "header stays in the clear")
                #expect(Array(packet[12..<plain.count]) != Array(plain[12...]), "payload is encrypted")
                #expect(PacketDemux.classify(packet) == .rtp)
                try receiver.unprotectRTP(&packet)
                #expect(packet == plain)
            }
            let plainRTCP = rtcpReceiverReport()
            var rtcp = plainRTCP
            try sender.protectRTCP(&rtcp)
            #expect(rtcp.count == plainRTCP.count + 4 + profile.tagLength)
            #expect(PacketDemux.classify(rtcp) == .rtcp)
            try receiver.unprotectRTCP(&rtcp)
            #expect(rtcp == plainRTCP)
        }
        #expect(client.stats.rtpProtected == 4 && client.stats.rtpUnprotected == 4)
        #expect(server.stats.rtcpProtected == 1 && server.stats.rtcpUnprotected == 1)
    }

    @Test("tampered packets fail authentication", arguments: SRTPProtectionProfile.allCases)
    func tampered(profile: SRTPProtectionProfile) throws {
        let (client, server) = try Self.sessions(profile)
        var packet = rtpPacket(sequence: 7)
        try client.protectRTP(&packet)
        packet[14] ^= 0x01
        let before = packet
        #expect(throws: SRTPError.authenticationFailed) { try server.unprotectRTP(&packet) }
        // The length is restored; AEAD profiles decrypt in place, so the bytes are unspecified.
        #expect(packet.count == before.count)
        if profile == .aes128CmHmacSha1_80 { #expect(packet == before) }
        var rtcp = rtcpReceiverReport()
        try client.protectRTCP(&rtcp)
        rtcp[rtcp.count - 1] ^= 0x80
        #expect(throws: SRTPError.authenticationFailed) { try server.unprotectRTCP(&rtcp) }
        #expect(server.stats.authenticationFailures == 2)
        #expect(server.stats.rtpUnprotected == 0)
    }

    @Test("replayed packets are refused", arguments: SRTPProtectionProfile.allCases)
    func replay(profile: SRTPProtectionProfile) throws {
        let (client, server) = try Self.sessions(profile)
        var packet = rtpPacket(sequence: 42)
        try client.protectRTP(&packet)
        let copy = packet
        try server.unprotectRTP(&packet)
        var replayed = copy
        #expect(throws: SRTPError.replayed) { try server.unprotectRTP(&replayed) }
        var rtcp = rtcpReceiverReport()
        try client.protectRTCP(&rtcp)
        let rtcpCopy = rtcp
        try server.unprotectRTCP(&rtcp)
        var replayedRTCP = rtcpCopy
        #expect(throws: SRTPError.replayed) { try server.unprotectRTCP(&replayedRTCP) }
        #expect(server.stats.replayFailures == 2)
        // Our own sender refuses to reuse a sequence number (and so a keystream).
        var again = rtpPacket(sequence: 42)
        #expect(throws: SRTPError.replayed) { try client.protectRTP(&again) }
    }

    @Test("bad packets and small buffers are typed errors")
    func badInput() throws {
        let (client, server) = try Self.sessions(.aes128CmHmacSha1_80)
        var short: [UInt8] = [0x80, 111, 0]
        #expect(throws: SRTPError.badPacket) { try server.unprotectRTP(&short) }
        #expect(server.stats.badPackets == 1)
        var plain = rtpPacket(sequence: 1)
        let length = plain.count
        #expect(throws: SRTPError.bufferTooSmall(needed: length + 10, available: length)) {
            _ = try plain.withUnsafeMutableBytes { try client.protectRTP($0, length: length) }
        }
    }

    @Test("in place in one caller buffer, no per-packet arrays")
    func callerBuffer() throws {
        let (client, server) = try Self.sessions(.aeadAes128Gcm)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1500, alignment: 8)
        defer { buffer.deallocate() }
        for sequence: UInt16 in 100..<200 {
            let plain = rtpPacket(sequence: sequence)
            buffer.copyBytes(from: plain)
            let protected = try client.protectRTP(buffer, length: plain.count)
            #expect(protected == plain.count + 16)
            let length = try server.unprotectRTP(buffer, length: protected)
            #expect(length == plain.count)
            #expect(Array(buffer[0..<length]) == plain)
        }
        #expect(server.stats.rtpUnprotected == 100)
    }

    @Test("wrong keys: a session keyed for the other role cannot read our packets")
    func wrongRole() throws {
        let peers = try DTLSPeers.make()
        try peers.handshake()
        let keys = try #require(peers.client.keyingMaterial)
        let sender = try SRTPSession(keyingMaterial: keys, role: .client)
        let confused = try SRTPSession(keyingMaterial: keys, role: .client)  // expects server keys
        var packet = rtpPacket(sequence: 1)
        try sender.protectRTP(&packet)
        #expect(throws: SRTPError.authenticationFailed) { try confused.unprotectRTP(&packet) }
    }
}
