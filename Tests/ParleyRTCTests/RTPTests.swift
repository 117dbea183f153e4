// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

/// Plaintext packets aiortc 1.16.0 handed to its SRTP layer during a local call between two
/// peers (Tests/ParleyRTCTests/Fixtures/capture_aiortc.py; SDPs in `SDPFixtures.aiortcOffer`).
enum AiortcPackets {
    /// Opus (PT 96) with marker, one-byte extensions: id 1 sdes:mid "0", id 2 audio level 127.
    static let rtp = hexBytes("90e0785e077e7dcf0ba3ac6bbede00011030207ffcfffe")
    /// SR from SSRC 0xA1363757 followed by SDES with its CNAME (the `a=ssrc` cname of the offer).
    static let senderReportAndSDES = hexBytes(
        "80c80006a1363757eeac61e9dadc5d632a210cbd00000039000000ab81ca000ba136375701246262336236373338"
            + "2d616566622d346537322d386637342d6363323333313937343236310000")
    /// RR with one report block (jitter 55, LSR/DLSR set).
    static let receiverReport = hexBytes("81c90007a13637570ba3ac6b00000000000078ba0000003761e9f1380000a4ad")
    /// BYE sent by `RTCPeerConnection.close()`.
    static let goodbye = hexBytes("81cb0001a1363757")
}

@Suite("RTP packets (RFC 3550, RFC 8285)")
struct RTPPacketTests {
    @Test("aiortc Opus packet: header, one-byte extensions, payload; re-serializes byte for byte")
    func aiortcPacket() throws {
        let view = try RTPPacketView(AiortcPackets.rtp)
        #expect(view.marker)
        #expect(view.payloadType == 96)
        #expect(view.sequenceNumber == 0x785E)
        #expect(view.timestamp == 0x077E_7DCF)
        #expect(view.ssrc == 0x0BA3_AC6B)
        #expect(view.csrcCount == 0 && view.paddingLength == 0)
        #expect(view.extensionForm == .oneByte)
        #expect(view.extensions.map(\.id) == [1, 2])
        #expect(view.extensionValue(id: 1).map(Array.init) == Array("0".utf8))
        #expect(view.extensionValue(id: 2).map(Array.init) == [0x7F])
        #expect(view.extensionValue(id: 3) == nil)
        #expect(Array(view.payload) == [0xFC, 0xFF, 0xFE])
        #expect(view.headerLength == 20)

        let packet = try RTPPacket(parsing: AiortcPackets.rtp)
        #expect(packet.header.extensions == [RTPHeaderExtension(id: 1, value: [0x30]), .audioLevel(id: 2, voiceActivity: false, level: 127)])
        #expect(try packet.serialize() == AiortcPackets.rtp)
    }

    @Test("CSRCs, two-byte extensions (id > 14, empty value), padding round-trip")
    func twoByteAndPadding() throws {
        let header = RTPHeader(
            marker: false, payloadType: 111, sequenceNumber: 65535, timestamp: 0xFFFF_FFFF, ssrc: 42, csrcs: [1, 2, 3],
            extensions: [RTPHeaderExtension(id: 20, value: Array(repeating: 7, count: 20)), RTPHeaderExtension(id: 3, value: [])])
        let packet = RTPPacket(header: header, payload: [1, 2, 3, 4, 5], paddingLength: 3)
        let bytes = try packet.serialize()
        #expect(bytes[0] == 0x80 | 0x20 | 0x10 | 3)
        #expect(bytes.readBE16(24) == 0x1000)  // two-byte profile chosen automatically
        #expect(bytes.suffix(3) == [0, 0, 3])
        let view = try RTPPacketView(bytes)
        #expect(view.csrcCount == 3 && view.csrc(at: 2) == 3)
        #expect(view.extensionForm == .twoByte(appBits: 0))
        #expect(view.extensionValue(id: 3).map(Array.init) == [])
        #expect(Array(view.payload) == [1, 2, 3, 4, 5])
        var expected = packet
        expected.header.extensionForm = .twoByte(appBits: 0)
        #expect(try RTPPacket(parsing: bytes) == expected)
    }

    @Test("one-byte form: padding bytes skipped, id 15 ends the block (RFC 8285 §4.2)")
    func oneByteSpecials() throws {
        // ext: 00 (pad) 10 aa (id1) f0 (id 15: stop) 20 bb -> only id 1 is seen
        let bytes = hexBytes("90 00 00 01 00 00 00 02 00 00 00 03 be de 00 02 00 10 aa f0 20 bb 00 00 99")
        let view = try RTPPacketView(bytes)
        #expect(view.extensions.map(\.id) == [1])
        #expect(Array(view.payload) == [0x99])
    }

    @Test("opaque (non-RFC 8285) extension blocks are kept as they are")
    func opaqueExtension() throws {
        let bytes = hexBytes("90 00 00 01 00 00 00 02 00 00 00 03 ab cd 00 01 01 02 03 04 ee")
        let packet = try RTPPacket(parsing: bytes)
        #expect(packet.header.opaqueExtension == RTPHeader.OpaqueExtension(profile: 0xABCD, data: [1, 2, 3, 4]))
        #expect(packet.header.extensions.isEmpty)
        #expect(try packet.serialize() == bytes)
    }

    @Test("serializing into a caller buffer allocates nothing and checks the size")
    func callerBuffer() throws {
        let header = RTPHeader(payloadType: 111, sequenceNumber: 1, timestamp: 960, ssrc: 7,
                               extensions: [.audioLevel(id: 1, voiceActivity: true, level: 30)])
        var buffer = [UInt8](repeating: 0xEE, count: 64)
        let written = try buffer.withUnsafeMutableBytes { try header.write(into: $0) }
        #expect(written == 20 && header.serializedLength == 20)
        #expect(Array(buffer[12..<20]) == [0xBE, 0xDE, 0x00, 0x01, 0x10, 0x9E, 0x00, 0x00])
        let packet = RTPPacket(header: header, payload: [1, 2, 3])
        #expect(throws: RTPError.bufferTooSmall(needed: 23, available: 10)) {
            var small = [UInt8](repeating: 0, count: 10)
            _ = try small.withUnsafeMutableBytes { try packet.serialize(into: $0) }
        }
    }

    @Test("precise parse errors", arguments: [
        (hexBytes("80 60 00 01 00 00 00 02 00 00 00"), RTPError.tooShort(length: 11)),
        (hexBytes("40 60 00 01 00 00 00 02 00 00 00 03"), .badVersion(1)),
        (hexBytes("82 60 00 01 00 00 00 02 00 00 00 03 00 00 00 04"), .csrcTruncated(count: 2, length: 16)),
        (hexBytes("90 60 00 01 00 00 00 02 00 00 00 03 be de"), .extensionHeaderTruncated(offset: 12)),
        (hexBytes("90 60 00 01 00 00 00 02 00 00 00 03 be de 00 02 10 aa 00 00"),
         .extensionTruncated(offset: 12, declared: 8, available: 4)),
        (hexBytes("90 60 00 01 00 00 00 02 00 00 00 03 be de 00 01 13 aa bb cc"),
         .extensionElementTruncated(id: 1, offset: 16, length: 4, available: 3)),
        (hexBytes("90 60 00 01 00 00 00 02 00 00 00 03 10 00 00 01 05 09 aa bb"),
         .extensionElementTruncated(id: 5, offset: 16, length: 9, available: 2)),
        (hexBytes("a0 60 00 01 00 00 00 02 00 00 00 03 01 02 00"), .invalidPadding(count: 0, available: 3)),
        (hexBytes("a0 60 00 01 00 00 00 02 00 00 00 03 01 02 04"), .invalidPadding(count: 4, available: 3)),
    ])
    func parseErrors(bytes: [UInt8], expected: RTPError) {
        #expect(throws: expected) { try RTPPacketView(bytes) }
    }

    @Test("serialize errors name the field")
    func serializeErrors() {
        let bad = RTPHeader(payloadType: 111, sequenceNumber: 0, timestamp: 0, ssrc: 0,
                            extensions: [RTPHeaderExtension(id: 3, value: [])], extensionForm: .oneByte)
        #expect(throws: RTPError.extensionNotRepresentable(id: 3, length: 0, form: "one-byte")) {
            try RTPPacket(header: bad, payload: []).serialize()
        }
        #expect(throws: RTPError.fieldOutOfRange("payload type 200 is above 127")) {
            try RTPPacket(header: RTPHeader(payloadType: 200, sequenceNumber: 0, timestamp: 0, ssrc: 0), payload: []).serialize()
        }
        #expect(RTPError.tooShort(length: 3).description == "RTP packet is 3 bytes; the fixed header is 12 (RFC 3550 §5.1)")
    }
}

@Suite("RTP sequence numbers, reception statistics, jitter (RFC 3550 §A.1, §A.3, §A.8)")
struct RTPSequenceTests {
    @Test("wrap-aware comparison and distance")
    func comparison() {
        #expect(RTPSequence.isNewer(1, than: 65535))
        #expect(!RTPSequence.isNewer(65535, than: 1))
        #expect(RTPSequence.isNewer(0x8000 - 1, than: 0))
        #expect(!RTPSequence.isNewer(0x8000, than: 0))
        #expect(!RTPSequence.isNewer(5, than: 5))
        #expect(RTPSequence.distance(from: 65530, to: 4) == 10)
        #expect(RTPSequence.distance(from: 4, to: 65530) == -10)
    }

    @Test("unwrapper extends across wraps and tolerates reordering")
    func unwrapper() {
        var unwrapper = RTPSequenceUnwrapper()
        do { let result = unwrapper.unwrap(65534); #expect(result == 65534) }
        do { let result = unwrapper.unwrap(65535); #expect(result == 65535) }
        do { let result = unwrapper.unwrap(1); #expect(result == 65537) }
        do { let result = unwrapper.unwrap(0); #expect(result == 65536) }  // late packet
        do { let result = unwrapper.unwrap(2); #expect(result == 65538) }
        do { let result = unwrapper.unwrap(65535); #expect(result == 65535) }  // very late, still placed before the wrap
    }

    @Test("probation, loss across a wrap, fraction lost per interval")
    func statistics() {
        var stats = RTPReceptionStatistics(ssrc: 9, firstSequence: 65530)
        do { let result = stats.update(sequence: 65530); #expect(!result) }  // on probation
        do { let result = stats.update(sequence: 65531); #expect(result) }  // second in sequence: valid
        for sequence: UInt16 in [65532, 65533, 65535, 0, 1, 3] { stats.update(sequence: sequence) }
        // received 65531..65533, 65535, 0, 1, 3 = 7; expected 65531 ... 65539 (3) = 9
        #expect(stats.received == 7)
        #expect(stats.extendedHighestSequence == 65536 + 3)
        #expect(stats.expected == 9)
        #expect(stats.cumulativeLost == 2)
        let block = stats.makeReportBlock(lastSR: 0x1234_5678, delaySinceLastSR: 65536)
        #expect(block.ssrc == 9)
        #expect(block.fractionLost == UInt8((2 << 8) / 9))
        #expect(block.extendedHighestSequence == 65539)
        #expect(block.lastSR == 0x1234_5678)
        // Next interval: no loss.
        for sequence: UInt16 in [4, 5, 6] { stats.update(sequence: sequence) }
        #expect(stats.makeReportBlock().fractionLost == 0)
    }

    @Test("a large jump is a restart only when the next packet follows it")
    func restart() {
        var stats = RTPReceptionStatistics(ssrc: 1, firstSequence: 100)
        for sequence: UInt16 in 100...110 { stats.update(sequence: sequence) }
        do { let result = stats.update(sequence: 40000); #expect(!result) }
        do { let result = stats.update(sequence: 40001); #expect(result) }  // restart: base re-initialised
        #expect(stats.extendedHighestSequence == 40001)
        #expect(stats.received == 1)
    }

    @Test("jitter: zero for steady spacing, J += (|D| - J)/16 otherwise")
    func jitter() {
        var steady = InterarrivalJitter()
        for i in UInt32(0)..<50 { steady.update(arrival: 1000 + i * 960, rtpTimestamp: i * 960) }
        #expect(steady.value == 0)

        var jitter = InterarrivalJitter()
        jitter.update(arrival: 0, rtpTimestamp: 0)
        jitter.update(arrival: 960 + 160, rtpTimestamp: 960)  // D = 160
        #expect(jitter.value == 10)  // 160 / 16
        // Timestamps wrapping around 2^32 do not disturb it.
        var wrapping = InterarrivalJitter()
        for i in UInt32(0)..<10 {
            let ts = UInt32.max &- 2000 &+ i &* 960
            wrapping.update(arrival: ts &+ 77, rtpTimestamp: ts)
        }
        #expect(wrapping.value == 0)
        // Alternating ±480 converges towards 480.
        var alternating = InterarrivalJitter()
        for i in UInt32(0)..<400 { alternating.update(arrival: i * 960 + (i % 2 == 0 ? 0 : 480), rtpTimestamp: i * 960) }
        #expect((470...480).contains(alternating.value))
    }
}

@Suite("RFC 6464 audio level")
struct RTPAudioLevelTests {
    @Test("level in -dBov from the RMS: full-scale square 0, sine 3 below its peak, silence 127")
    func levels() {
        #expect(RTPAudioLevel.level([Int16](repeating: 0, count: 960)) == 127)
        #expect(RTPAudioLevel.level((0..<960).map { $0 % 2 == 0 ? Int16.max : Int16.min }) == 0)
        let sine = { (amplitude: Double) in (0..<960).map { Int16(amplitude * 32767 * sin(2 * Double.pi * 440 * Double($0) / 48_000)) } }
        #expect(RTPAudioLevel.level(sine(1)) == 3)
        #expect(RTPAudioLevel.level(sine(0.4)) == 11)
        #expect(RTPAudioLevel.level(sine(0.001)) == 63)
        #expect(RTPAudioLevel.level([Int16](repeating: 1, count: 960)) == 90)
        #expect(RTPAudioLevel.level([]) == 127)
    }

    @Test("the extension element: one byte, V bit from the energy threshold, decodes back")
    func element() throws {
        let loud = RTPAudioLevel.headerExtension(id: 2, samples: [Int16](repeating: 8000, count: 960))
        #expect(loud.id == 2 && loud.value.count == 1)
        let decoded = try #require(RTPAudioLevel.decode(loud.value))
        #expect(decoded.voiceActivity && decoded.level == 12)
        let quiet = RTPAudioLevel.headerExtension(id: 2, samples: [Int16](repeating: 3, count: 960))
        #expect(RTPAudioLevel.decode(quiet.value)! == (false, 81))
        #expect(RTPAudioLevel.decode([UInt8]()) == nil)
        // It rides in the one-byte header form (RFC 8285 §4.2) next to the mid.
        let header = RTPHeader(payloadType: 111, sequenceNumber: 1, timestamp: 2, ssrc: 3,
                               extensions: [RTPHeaderExtension(id: 1, value: Array("0".utf8)), loud])
        var bytes = [UInt8](repeating: 0, count: header.serializedLength)
        _ = try bytes.withUnsafeMutableBytes { try header.write(into: $0) }
        let view = try RTPPacketView(bytes + [0xF8])
        #expect(view.extensionForm == .oneByte)
        #expect(view.extensionValue(id: 2).map(Array.init) == loud.value)
        #expect(view.extensionValue(id: 1).map { String(decoding: $0, as: UTF8.self) } == "0")
    }
}

#if canImport(Glibc)
import Glibc
#endif

