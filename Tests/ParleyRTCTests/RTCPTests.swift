// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyRTC

@Suite("RTCP compound packets (RFC 3550, RFC 4585, RFC 5104)")
struct RTCPTests {
    @Test("aiortc SR + SDES: fields, CNAME, byte-exact re-serialization")
    func aiortcSenderReport() throws {
        let packets = try RTCPCompound.parse(AiortcPackets.senderReportAndSDES)
        #expect(packets.count == 2)
        guard case .senderReport(let sr) = packets[0], case .sourceDescription(let sdes) = packets[1] else {
            Issue.record("expected SR then SDES, got \(packets)")
            return
        }
        #expect(sr.ssrc == 2_704_684_887)  // = a=ssrc:2704684887 in aiortc's offer
        #expect(sr.ntpTime == 0xEEAC_61E9_DADC_5D63)
        #expect(sr.compactNTP == 0x61E9_DADC)
        #expect(sr.rtpTime == 0x2A21_0CBD)
        #expect(sr.packetCount == 57 && sr.octetCount == 171)
        #expect(sr.reports.isEmpty)
        #expect(sdes.chunks.first?.ssrc == sr.ssrc)
        #expect(sdes.chunks.first?.cname == "bb3b6738-aefb-4e72-8f74-cc2331974261")
        #expect(try RTCPCompound.serialize(packets) == AiortcPackets.senderReportAndSDES)
    }

    @Test("aiortc RR: report block fields; BYE")
    func aiortcReceiverReportAndBye() throws {
        let rr = try RTCPCompound.parse(AiortcPackets.receiverReport)
        guard case .receiverReport(let report) = rr.first, let block = report.reports.first else {
            Issue.record("expected RR")
            return
        }
        #expect(report.ssrc == 0xA136_3757)
        #expect(block == RTCPReportBlock(
            ssrc: 0x0BA3_AC6B, fractionLost: 0, cumulativeLost: 0, extendedHighestSequence: 0x78BA, jitter: 55,
            lastSR: 0x61E9_F138, delaySinceLastSR: 0xA4AD))
        #expect(try RTCPCompound.serialize(rr) == AiortcPackets.receiverReport)
        #expect(try RTCPCompound.parse(AiortcPackets.goodbye) == [.goodbye(RTCPGoodbye(sources: [0xA136_3757]))])
    }

    @Test("every packet kind round-trips in one compound packet")
    func roundTrip() throws {
        let packets: [RTCPPacket] = [
            .receiverReport(RTCPReceiverReport(ssrc: 1, reports: [
                RTCPReportBlock(ssrc: 2, fractionLost: 12, cumulativeLost: -5, extendedHighestSequence: 70000, jitter: 3),
                RTCPReportBlock(ssrc: 3, cumulativeLost: 0x7F_FFFF),
            ])),
            .senderReport(RTCPSenderReport(ssrc: 4, ntpTime: 1, rtpTime: 2, packetCount: 3, octetCount: 4,
                                           reports: [RTCPReportBlock(ssrc: 5)], profileExtension: [1, 2, 3, 4])),
            .sourceDescription(RTCPSourceDescription(chunks: [
                .init(ssrc: 1, items: [.cname("abc"), .init(type: 6, value: Array("Parley".utf8))]),
                .init(ssrc: 7, items: [.cname("wxyz")]),
                .init(ssrc: 8, items: []),
            ])),
            .genericNACK(RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lost: [100, 101, 116, 117])),
            .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
            .fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 2, sequenceNumber: 9)])),
            .receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 256_000, ssrcs: [2, 3])),
            .other(RTCPRawPacket(packetType: .transportFeedback, count: 15, body: [0, 0, 0, 1, 0, 0, 0, 2, 9, 9, 9, 9])),
            .goodbye(RTCPGoodbye(sources: [1, 7], reason: "agent left")),
        ]
        let bytes = try RTCPCompound.serialize(packets)
        #expect(bytes.count % 4 == 0)
        #expect(try RTCPCompound.parse(bytes) == packets)
        #expect(PacketDemux.classify(bytes) == .rtcp)
    }

    @Test("generic NACK packs lost packets into PID + BLP, across the 16-bit wrap")
    func nackPacking() throws {
        let nack = RTCPGenericNACK(senderSSRC: 1, mediaSSRC: 2, lost: [65534, 0, 65535, 5, 30, 0])
        #expect(nack.entries == [
            .init(packetID: 65534, lostBitmask: 0b0100_0011),  // +1 (65535), +2 (0), +7 (5)
            .init(packetID: 30),
        ])
        #expect(nack.lostSequenceNumbers == [65534, 65535, 0, 5, 30])
        let bytes = try RTCPCompound.serialize([.genericNACK(nack)])
        #expect(bytes == hexBytes("81 cd 00 04 00 00 00 01 00 00 00 02 ff fe 00 43 00 1e 00 00"))
    }

    @Test("PLI and FIR wire layout (RFC 4585 §6.3.1, RFC 5104 §4.3.1)")
    func feedbackLayout() throws {
        #expect(try RTCPCompound.serialize([.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2))])
            == hexBytes("81 ce 00 02 00 00 00 01 00 00 00 02"))
        #expect(try RTCPCompound.serialize([.fullIntraRequest(RTCPFullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 2, sequenceNumber: 3)]))])
            == hexBytes("84 ce 00 04 00 00 00 01 00 00 00 00 00 00 00 02 03 00 00 00"))
    }

    @Test("REMB bitrate as mantissa × 2^exp")
    func remb() throws {
        // 1 000 000 bit/s = 0x3D090 × 2^2 → exp 2, mantissa 0x3D090 (18 bits).
        let remb = RTCPReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 1_000_000, ssrcs: [0xAABB_CCDD])
        let bytes = try RTCPCompound.serialize([.receiverEstimatedMaximumBitrate(remb)])
        #expect(bytes == hexBytes("8f ce 00 05 00 00 00 01 00 00 00 00 52 45 4d 42 01 0b d0 90 aa bb cc dd"))
        #expect(try RTCPCompound.parse(bytes) == [.receiverEstimatedMaximumBitrate(remb)])
    }

    @Test("padding on a packet is honoured (RFC 3550 §6.4.1)")
    func padding() throws {
        // BYE with P set: 4 bytes of SSRC + 4 bytes of padding (count 4).
        let bytes = hexBytes("a1 cb 00 02 00 00 00 09 00 00 00 04")
        #expect(try RTCPCompound.parse(bytes) == [.goodbye(RTCPGoodbye(sources: [9]))])
    }

    @Test("precise parse errors", arguments: [
        ([UInt8](), RTCPError.headerTruncated(offset: 0, available: 0)),
        (hexBytes("81 c9 00"), .headerTruncated(offset: 0, available: 3)),
        (hexBytes("41 c9 00 01 00 00 00 01"), .badVersion(1, offset: 0)),
        (hexBytes("81 c9 00 07 00 00 00 01"), .lengthExceedsPacket(offset: 0, declared: 32, available: 8)),
        (hexBytes("81 cb 00 01 00 00 00 01 80"), .headerTruncated(offset: 8, available: 1)),
        (hexBytes("a1 cb 00 01 00 00 00 09"), .invalidPadding(offset: 0, count: 9, available: 4)),
        (hexBytes("a1 cb 00 02 00 00 00 09 00 00 00 03"), .invalidPadding(offset: 0, count: 3, available: 8)),
        (hexBytes("81 c8 00 06 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"),
         .bodyTooShort(.senderReport, offset: 0, needed: 48, available: 24)),
        (hexBytes("80 c9 00 01 00 00 00 01 81 c9 00 01 00 00 00 02"),
         .bodyTooShort(.receiverReport, offset: 8, needed: 28, available: 4)),
        (hexBytes("81 ca 00 02 00 00 00 01 01 05 61 62"), .malformedSDES(offset: 8, reason: "item type 1 runs past the packet")),
        (hexBytes("81 ca 00 02 00 00 00 01 01 02 61 62"), .malformedSDES(offset: 4, reason: "chunk has no terminating null item")),
        (hexBytes("81 cb 00 02 00 00 00 01 09 61 62 63"), .malformedBYE(offset: 0)),
        (hexBytes("81 cd 00 01 00 00 00 01"), .bodyTooShort(.transportFeedback, offset: 0, needed: 8, available: 4)),
    ])
    func parseErrors(bytes: [UInt8], expected: RTCPError) {
        #expect(throws: expected) { try RTCPCompound.parse(bytes) }
    }

    @Test("serialize errors")
    func serializeErrors() {
        let tooMany = RTCPReceiverReport(ssrc: 1, reports: Array(repeating: RTCPReportBlock(ssrc: 1), count: 32))
        #expect(throws: RTCPError.fieldOutOfRange("RR has 32 report blocks; at most 31 fit")) {
            try RTCPCompound.serialize([.receiverReport(tooMany)])
        }
        #expect(throws: RTCPError.bufferTooSmall(needed: 12, available: 4)) {
            var buffer = [UInt8](repeating: 0, count: 4)
            _ = try buffer.withUnsafeMutableBytes {
                try RTCPCompound.serialize([.pictureLossIndication(RTCPPictureLossIndication(senderSSRC: 1, mediaSSRC: 2))], into: $0)
            }
        }
    }
}
