// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

/// Two usrsctp associations joined in memory: simultaneous open, DCEP both ways, ordered and
/// unordered-unreliable messages, large messages, loss, close.
@Suite("SCTP associations and data channels in memory")
struct SCTPAssociationTests {
    @Test("DCEP OPEN/ACK round trip and rejects malformed input")
    func dcepCoding() {
        let open = DCEPMessage.open(label: "_lossy", protocol: "lk", reliability: .unorderedUnreliable, priority: 256)
        let bytes = open.encode()
        #expect(bytes.prefix(4) == [0x03, 0x81, 0x01, 0x00])
        #expect(DCEPMessage.decode(bytes) == open)
        #expect(DCEPMessage.decode([0x02]) == .ack)
        #expect(DCEPMessage.decode([0x02, 0x00]) == nil)
        #expect(DCEPMessage.decode(Array(bytes.dropLast())) == nil)
        #expect(DCEPMessage.decode([0x03, 0x7F] + [UInt8](repeating: 0, count: 10)) == nil)
        let timed = DCEPMessage.open(label: "t", protocol: "", reliability: DataChannelReliability(maxPacketLifeTime: 150), priority: 0)
        #expect(DCEPMessage.decode(timed.encode()) == timed)
    }

    @Test("simultaneous INIT, channel opened by each side, ordered 1 KB and 60 KB both ways, text and binary")
    func openBothWaysAndExchange() async throws {
        let pair = SCTPPair()
        defer { pair.close() }
        try await pair.connect()

        let ours = try pair.client.createDataChannel(label: "_reliable", protocol: "chat")
        pair.clientLog.watch(ours)
        #expect(ours.id == 0)
        let theirs = try pair.server.createDataChannel(label: "from-server")
        pair.serverLog.watch(theirs)
        #expect(theirs.id == 1)
        try await waitUntil("both channels open on both sides") {
            ours.state == .open && theirs.state == .open
                && pair.serverLog.remoteChannels.count == 1 && pair.clientLog.remoteChannels.count == 1
        }
        let remoteOfOurs = try #require(pair.serverLog.remoteChannels.first)
        #expect(remoteOfOurs.id == 0 && remoteOfOurs.label == "_reliable" && remoteOfOurs.protocol == "chat")
        #expect(remoteOfOurs.reliability == .reliable)
        let remoteOfTheirs = try #require(pair.clientLog.remoteChannels.first)
        #expect(remoteOfTheirs.id == 1 && remoteOfTheirs.label == "from-server")

        let small = sctpPayload(1024)
        let large = sctpPayload(60 * 1024, seed: 7)
        try ours.send(binary: small)
        try ours.send(binary: large)
        try ours.send(text: "héllo")
        try ours.send(text: "")
        try ours.send(binary: [])
        try theirs.send(binary: large)
        try theirs.send(binary: small)
        try theirs.send(text: "from server")
        let expectedAtServer: [DataChannelMessage] = [.binary(small), .binary(large), .text("héllo"), .text(""), .binary([])]
        let expectedAtClient: [DataChannelMessage] = [.binary(large), .binary(small), .text("from server")]
        try await waitUntil("messages") {
            pair.serverLog.messages.count >= 5 && pair.clientLog.messages.count >= 3
        }
        #expect(pair.serverLog.messages == expectedAtServer)
        #expect(pair.clientLog.messages == expectedAtClient)
        #expect(ours.stats.messagesSent == 5)
        #expect(remoteOfOurs.stats.bytesReceived == 1024 + 60 * 1024 + "héllo".utf8.count)
        #expect(pair.client.stats.channelsOpened == 2)
        // Every packet fits one DTLS record in a 1200-byte datagram.
        #expect(pair.clientLink.state.withLock { $0.largest } <= 1150)
        #expect(pair.serverLink.state.withLock { $0.largest } <= 1150)
        #expect(pair.clientLog.states == [.connecting, .connected])
    }

    @Test("unordered-unreliable channel (maxRetransmits 0): DCEP carries the mode, messages arrive")
    func unorderedUnreliable() async throws {
        let pair = SCTPPair()
        defer { pair.close() }
        try await pair.connect()
        let lossy = try pair.server.createDataChannel(label: "_lossy", reliability: .unorderedUnreliable)
        pair.serverLog.watch(lossy)
        try await waitUntil("lossy open") { lossy.state == .open && pair.clientLog.remoteChannels.count == 1 }
        let remote = try #require(pair.clientLog.remoteChannels.first)
        #expect(remote.reliability == .unorderedUnreliable)
        #expect(remote.id % 2 == 1)
        for index in 0..<20 { try lossy.send(binary: [UInt8(index)] + sctpPayload(500)) }
        try remote.send(text: "back")
        try await waitUntil("lossy messages") { pair.clientLog.messages.count == 20 }
        #expect(Set(pair.clientLog.messages) == Set((0..<20).map { DataChannelMessage.binary([UInt8($0)] + sctpPayload(500)) }))
        try await waitUntil("reply") { pair.serverLog.messages == [.text("back")] }
    }

    @Test("10% packet loss: reliable messages all arrive in order (retransmission)")
    func lossyLink() async throws {
        let pair = SCTPPair(lossRate: 0.1)
        defer { pair.close() }
        try await pair.connect()
        let channel = try pair.client.createDataChannel(label: "_reliable")
        try await waitUntil("open under loss", timeout: .seconds(20)) { channel.state == .open && pair.serverLog.remoteChannels.count == 1 }
        let expected = (0..<10).map { DataChannelMessage.binary(sctpPayload($0 % 2 == 0 ? 1024 : 60 * 1024, seed: UInt8($0))) }
        for message in expected { try channel.send(message) }
        // An unreliable channel under loss must not stall the association.
        let lossy = try pair.client.createDataChannel(label: "_lossy", reliability: .unorderedUnreliable)
        try await waitUntil("all reliable messages", timeout: .seconds(30)) { pair.serverLog.messages.count >= 10 }
        #expect(Array(pair.serverLog.messages.prefix(10)) == expected)
        #expect(pair.clientLink.state.withLock { $0.dropped } > 0)
        try await waitUntil("lossy open", timeout: .seconds(20)) { lossy.state == .open }
        for index in 0..<20 { try lossy.send(binary: [UInt8(index)]) }
        try await Task.sleep(for: .milliseconds(500))
        #expect(pair.serverLog.messages.count <= 30)
    }

    @Test("close from either side resets the stream; both see onClose; the id is reusable", arguments: [true, false])
    func close(fromOpener: Bool) async throws {
        let pair = SCTPPair()
        defer { pair.close() }
        try await pair.connect()
        let channel = try pair.client.createDataChannel(label: "c")
        pair.clientLog.watch(channel)
        try await waitUntil("open") { channel.state == .open && pair.serverLog.remoteChannels.count == 1 }
        let remote = try #require(pair.serverLog.remoteChannels.first)
        if fromOpener { channel.close() } else { remote.close() }
        try await waitUntil("closed both sides") { channel.state == .closed && remote.state == .closed }
        #expect(pair.clientLog.events.contains("close c"))
        #expect(pair.serverLog.events.contains("close c"))
        #expect(throws: SCTPError.channelNotOpen(.closed)) { try channel.send(text: "late") }
        let again = try pair.client.createDataChannel(label: "again")
        #expect(again.id == 0)
        try await waitUntil("reopened") { again.state == .open }
        try again.send(text: "after reset")
        try await waitUntil("message after reset") { pair.serverLog.messages == [.text("after reset")] }
        #expect(pair.client.stats.streamResetsSent + pair.server.stats.streamResetsSent >= 2)
    }

    @Test("max-message-size: the peer's limit is enforced; 256 KiB messages cross when both allow them")
    func messageSizes() async throws {
        let pair = SCTPPair { $0.remoteMaxMessageSize = 262_144 }
        defer { pair.close() }
        try await pair.connect()
        let channel = try pair.client.createDataChannel(label: "big")
        try await waitUntil("open") { channel.state == .open && pair.serverLog.remoteChannels.count == 1 }
        #expect(throws: SCTPError.messageTooLarge(size: 262_145, limit: 262_144)) { try channel.send(binary: sctpPayload(262_145)) }
        let big = sctpPayload(262_144, seed: 3)
        try channel.send(binary: big)
        try channel.send(binary: big)
        try await waitUntil("big messages") { pair.serverLog.messages.count == 2 }
        #expect(pair.serverLog.messages == [.binary(big), .binary(big)])

        let small = SCTPPair()  // the default: the peer said nothing → 64 KiB (RFC 8841 §6.1)
        defer { small.close() }
        try await small.connect()
        let limited = try small.client.createDataChannel(label: "limited")
        try await waitUntil("open") { limited.state == .open }
        #expect(throws: SCTPError.messageTooLarge(size: 65_537, limit: 65_536)) { try limited.send(binary: sctpPayload(65_537)) }
    }

    @Test("channels created before the association is up open once it is; sends before open throw")
    func earlyChannels() async throws {
        let pair = SCTPPair()
        defer { pair.close() }
        let early = try pair.client.createDataChannel(label: "early")
        let negotiated = try pair.server.createDataChannel(label: "neg", negotiated: true, id: 9)
        #expect(throws: SCTPError.channelNotOpen(.connecting)) { try early.send(text: "too soon") }
        try await pair.connect()
        try await waitUntil("early open") { early.state == .open && negotiated.state == .open }
        #expect(pair.serverLog.remoteChannels.map(\.label) == ["early"])
        #expect(throws: SCTPError.streamInUse(0)) { try pair.client.createDataChannel(label: "dup", id: 0) }
    }

    @Test("association close: channels close, the peer's association shuts down")
    func associationClose() async throws {
        let pair = SCTPPair()
        try await pair.connect()
        let channel = try pair.client.createDataChannel(label: "x")
        pair.clientLog.watch(channel)
        try await waitUntil("open") { channel.state == .open }
        pair.client.close()
        #expect(pair.client.state == .closed)
        #expect(channel.state == .closed)
        try await waitUntil("peer closed", timeout: .seconds(2)) { pair.server.state == .closed || pair.server.state == .failed }
        #expect(pair.clientLog.events.contains("close x"))
        pair.server.close()
    }
}
