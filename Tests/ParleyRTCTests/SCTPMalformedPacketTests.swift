// SPDX-License-Identifier: Apache-2.0

import Dispatch
import Foundation
import Synchronization
import Testing
@testable import ParleyRTC

/// The length check in front of usrsctp (`SCTPPacketDefect`, `SCTPAssociation.receive`): the
/// FuzzSCTP finding that hung usrsctp 0.9.5 is dropped and counted by a live association, real
/// traffic passes untouched, and each RFC 4960 §3.2 / §3.2.1 length rule rejects what it should.
@Suite("SCTP: malformed packets are dropped before usrsctp")
struct SCTPMalformedPacketTests {
    /// The FuzzSCTP finding as the harness turned it into a packet: ports 5000 → 5000,
    /// verification tag 0 (an INIT, RFC 4960 §8.5.1), CRC32c; then the input's 24 bytes, one
    /// INIT (length 24; initiate tag 0x11223344, a_rwnd 65536, 10 streams each way, initial
    /// TSN 1) whose one parameter `c0 00 00 00` has length 0.
    static let findingChunk: [UInt8] = [
        0x01, 0x00, 0x00, 0x18, 0x11, 0x22, 0x33, 0x44, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x0A, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x01, 0xC0, 0x00, 0x00, 0x00,
    ]
    static let findingPacket = sctpWithChecksum(commonHeader(tag: 0) + findingChunk)

    static func commonHeader(tag: UInt32 = 0x0102_0304) -> [UInt8] {
        [0x13, 0x88, 0x13, 0x88, UInt8(tag >> 24), UInt8(tag >> 16 & 0xFF), UInt8(tag >> 8 & 0xFF), UInt8(tag & 0xFF), 0, 0, 0, 0]
    }

    @Test("the finding is exactly Tests/Fuzz/Findings/sctp-hang-init-zero-length-param")
    func findingMatchesTheFile() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fuzz/Findings/sctp-hang-init-zero-length-param")
        let input = try [UInt8](Data(contentsOf: url))
        // FuzzSCTP layout: mode byte 0 (established victim), then a 16-bit word per packet:
        // 0x4000 = "prepend a common header with verification tag 0", low 14 bits the length.
        #expect(input.prefix(3) == [0x00, 0x40, 0x18])
        #expect(Array(input.dropFirst(3)) == Self.findingChunk)
    }

    @Test("FuzzSCTP finding (INIT, zero-length parameter) to an established association: returns, dropped, counted, still works")
    func zeroLengthInitParameter() async throws {
        let pair = SCTPPair()
        try await pair.connect()
        let channel = try pair.client.createDataChannel(label: "before")
        pair.clientLog.watch(channel)
        try await waitUntil("channel open") { channel.state == .open && pair.serverLog.remoteChannels.count == 1 }

        pair.server.receive(Self.findingPacket)
        // Without the check usrsctp 0.9.5 spins forever on the SCTP queue, and this read (a
        // synchronous hop onto it) would never return.
        let stats = Self.withinDeadline("server stats after the finding") { pair.server.stats }
        #expect(stats.malformedPacketsDropped == 1)
        #expect(stats.lastMalformedPacket == .parameterLengthTooSmall(chunkType: 1, offset: 32, length: 0))
        #expect(stats.packetsReceived >= 1)

        // Nothing else noticed: the association is up and carries messages both ways.
        #expect(pair.server.state == .connected && pair.client.state == .connected)
        let remote = try #require(pair.serverLog.remoteChannels.first)
        try channel.send(text: "after the finding")
        try remote.send(text: "still here")
        try await waitUntil("messages after the drop") {
            pair.serverLog.messages.contains(.text("after the finding")) && pair.clientLog.messages.contains(.text("still here"))
        }
        #expect(pair.client.stats.malformedPacketsDropped == 0)
        pair.close()
    }

    @Test("the finding to an association in COOKIE-WAIT and to one not started yet: dropped, counted, not held")
    func findingBeforeEstablished() async throws {
        let waiting = SCTPAssociation(transport: SCTPMemoryLink(), configuration: .init(role: .client))
        try waiting.start()
        waiting.receive(Self.findingPacket)
        let stats = Self.withinDeadline("COOKIE-WAIT stats") { waiting.stats }
        #expect(stats.malformedPacketsDropped == 1)
        #expect(waiting.state == .connecting)
        waiting.close()

        let notStarted = SCTPAssociation(transport: SCTPMemoryLink(), configuration: .init(role: .server))
        notStarted.receive(Self.findingPacket)
        let held = Self.withinDeadline("unstarted stats") { notStarted.stats }
        #expect(held.malformedPacketsDropped == 1 && held.packetsHeldBeforeStart == 0)
    }

    @Test("every packet of a real session passes the check (both sides count no drops)")
    func realTrafficPasses() async throws {
        let pair = SCTPPair(lossRate: 0.05, keepPackets: true)
        try await pair.connect()
        let reliable = try pair.client.createDataChannel(label: "reliable")
        let lossy = try pair.server.createDataChannel(label: "lossy", reliability: .unorderedUnreliable)
        try await waitUntil("channels open") { reliable.state == .open && lossy.state == .open }
        // Odd sizes (padded DATA chunks), a fragmented message, bundles of small ones.
        for size in [1, 3, 5, 1_001, 60_001] { try reliable.send(binary: sctpPayload(size)) }
        for index in 0..<20 { try lossy.send(text: "m\(index)") }
        try await waitUntil("reliable messages delivered") { pair.serverLog.messages.count >= 5 }
        reliable.close()
        try await waitUntil("closed") { reliable.state == .closed }
        pair.close()
        try await waitUntil("both closed") { pair.client.state == .closed && pair.server.state == .closed }

        let packets = pair.clientLink.state.withLock { $0.packets } + pair.serverLink.state.withLock { $0.packets }
        #expect(packets.count > 20)
        for packet in packets {
            #expect(SCTPPacketDefect.first(in: packet) == nil, "\(packet.prefix(32))")
        }
        #expect(pair.client.stats.malformedPacketsDropped == 0)
        #expect(pair.server.stats.malformedPacketsDropped == 0)
    }

    /// A chunk: type, flags, the length field (`length`, default the real one), value.
    static func chunk(_ type: UInt8, flags: UInt8 = 0, length: Int? = nil, _ value: [UInt8] = [], pad: Bool = true) -> [UInt8] {
        let declared = length ?? 4 + value.count
        var bytes = [type, flags, UInt8(declared >> 8), UInt8(declared & 0xFF)] + value
        if pad { bytes += [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4) }
        return bytes
    }

    /// A TLV parameter or error cause with the given length field.
    static func tlv(_ type: UInt16, length: Int? = nil, _ value: [UInt8] = []) -> [UInt8] {
        let declared = length ?? 4 + value.count
        return [UInt8(type >> 8), UInt8(type & 0xFF), UInt8(declared >> 8), UInt8(declared & 0xFF)] + value
    }

    /// INIT's 16 fixed bytes after the chunk header (RFC 4960 §3.3.2).
    static let initFixed: [UInt8] = [0x11, 0x22, 0x33, 0x44, 0, 1, 0, 0, 0, 10, 0, 10, 0, 0, 0, 1]

    @Test("each length rule (RFC 4960 §3.1, §3.2, §3.2.1, §3.3.2) names what was wrong")
    func defects() {
        let header = Self.commonHeader()
        let sack = Self.chunk(3, [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])
        let cases: [(String, [UInt8], SCTPPacketDefect)] = [
            ("empty", [], .truncatedCommonHeader(length: 0)),
            ("11 bytes", Array(header.prefix(11)), .truncatedCommonHeader(length: 11)),
            ("header only", header, .noChunks),
            ("3 bytes of chunk header", header + [0, 0, 0], .truncatedChunkHeader(offset: 12)),
            ("chunk length 0", header + Self.chunk(0, length: 0, [0, 0, 0, 0]),
             .chunkLengthTooSmall(type: 0, offset: 12, length: 0)),
            ("chunk length 3", header + Self.chunk(0, length: 3), .chunkLengthTooSmall(type: 0, offset: 12, length: 3)),
            ("chunk past the end", header + Self.chunk(3, length: 16, [0, 0, 0, 1, 0, 1, 0, 0]),
             .chunkPastEnd(type: 3, offset: 12, length: 16, available: 12)),
            ("2 stray bytes after a chunk", header + Self.chunk(11) + [0, 0], .truncatedChunkHeader(offset: 16)),
            ("bad chunk after a good one", header + sack + Self.chunk(0, length: 0, [1, 2, 3, 4]),
             .chunkLengthTooSmall(type: 0, offset: 28, length: 0)),
            ("INIT without its fixed fields", header + Self.chunk(1, Array(Self.initFixed.prefix(12))),
             .chunkTooShort(type: 1, offset: 12, length: 16, minimum: 20)),
            ("INIT parameter length 0 (the finding)", header + Self.findingChunk,
             .parameterLengthTooSmall(chunkType: 1, offset: 32, length: 0)),
            ("INIT parameter length 2", header + Self.chunk(1, Self.initFixed + Self.tlv(0xC000, length: 2, [0, 0])),
             .parameterLengthTooSmall(chunkType: 1, offset: 32, length: 2)),
            ("INIT zero-length parameter after a good one",
             header + Self.chunk(1, Self.initFixed + Self.tlv(0x8000, [1, 2, 3, 4]) + Self.tlv(0xC000, length: 0)),
             .parameterLengthTooSmall(chunkType: 1, offset: 40, length: 0)),
            ("INIT parameter past its chunk", header + Self.chunk(1, Self.initFixed + Self.tlv(0x8008, length: 12, [1, 2, 3, 4])),
             .parameterPastChunk(chunkType: 1, offset: 32, length: 12, available: 8)),
            ("INIT with 2 bytes after its parameters",
             header + Self.chunk(1, Self.initFixed + Self.tlv(0x8000, [1, 2, 3, 4]) + [0, 0]),
             .truncatedParameterHeader(chunkType: 1, offset: 40)),
            ("INIT ACK parameter length 0", header + Self.chunk(2, Self.initFixed + Self.tlv(7, length: 0)),
             .parameterLengthTooSmall(chunkType: 2, offset: 32, length: 0)),
            ("HEARTBEAT info length 0", header + Self.chunk(4, Self.tlv(1, length: 0)),
             .parameterLengthTooSmall(chunkType: 4, offset: 16, length: 0)),
            ("ABORT cause length 0", header + Self.chunk(6, Self.tlv(12, length: 0)),
             .parameterLengthTooSmall(chunkType: 6, offset: 16, length: 0)),
            ("ERROR cause past its chunk", header + Self.chunk(9, Self.tlv(1, length: 8, [0, 1])),
             .parameterPastChunk(chunkType: 9, offset: 16, length: 8, available: 6)),
            ("RE-CONFIG parameter length 1", header + Self.chunk(130, Self.tlv(13, length: 1, [0, 0, 0, 1])),
             .parameterLengthTooSmall(chunkType: 130, offset: 16, length: 1)),
        ]
        for (name, packet, expected) in cases {
            #expect(SCTPPacketDefect.first(in: packet) == expected, "\(name)")
        }
    }

    @Test("well-formed edge cases pass: unpadded last chunk or parameter, empty ABORT, odd DATA then SACK")
    func wellFormed() {
        let header = Self.commonHeader()
        let cases: [(String, [UInt8])] = [
            ("INIT, last parameter unpadded at the end of the packet",
             header + Self.chunk(1, Self.initFixed + Self.tlv(0x8000, [1]), pad: false)),
            ("INIT, last parameter padded", header + Self.chunk(1, Self.initFixed + Self.tlv(0x8000, [1]))),
            ("INIT with two parameters",
             header + Self.chunk(1, Self.initFixed + Self.tlv(0x8000, [1, 2, 3]) + [0] + Self.tlv(0xC000, [9, 9, 9, 9]))),
            ("empty ABORT", header + Self.chunk(6)),
            ("DATA with 5 bytes of payload, padded, then SACK",
             header + Self.chunk(0, flags: 3, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 51, 1, 2, 3, 4, 5])
                + Self.chunk(3, [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0])),
            ("unknown chunk type, opaque value with zeros", header + Self.chunk(0x3F, [0, 0, 0, 0, 0, 0])),
        ]
        for (name, packet) in cases {
            #expect(SCTPPacketDefect.first(in: packet) == nil, "\(name)")
        }
    }

    /// Runs `body` (a synchronous call onto the SCTP queue) on another thread and stops the
    /// test run if it has not returned within `seconds`: a stuck SCTP queue is shared by every
    /// association in the process, so the remaining tests would hang rather than fail.
    static func withinDeadline<T: Sendable>(_ what: String, seconds: Int = 30, _ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        guard done.wait(timeout: .now() + .seconds(seconds)) == .success, let value = result.withLock({ $0 }) else {
            fatalError("\(what) did not return within \(seconds) s: the SCTP queue is stuck (usrsctp spinning on the packet?)")
        }
        return value
    }
}
