// SPDX-License-Identifier: Apache-2.0

import Testing
@_spi(Fuzzing) @testable import ParleyRTC

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
struct TestBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt8 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state >> 24)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in next() } }
}

/// Feeds packets to a depacketizer and collects its events.
func depacketize(
    _ packets: [RTPPacket], skipping lost: Set<Int> = [], push: (RTPPacket) throws -> [RTPDepacketizerEvent]
) rethrows -> [RTPDepacketizerEvent] {
    var events: [RTPDepacketizerEvent] = []
    for (index, packet) in packets.enumerated() where !lost.contains(index) { events += try push(packet) }
    return events
}

@Suite("VP8 RTP payload (RFC 7741)")
struct VP8PacketizationTests {
    @Test("payload descriptor variants parse and re-serialize", arguments: [
        VP8PayloadDescriptor(startOfPartition: true),
        VP8PayloadDescriptor(nonReference: true, partitionIndex: 5),
        VP8PayloadDescriptor(startOfPartition: true, pictureID: 0x55, longPictureID: false),
        VP8PayloadDescriptor(startOfPartition: true, pictureID: 0x7FFF),
        VP8PayloadDescriptor(pictureID: 0x1234, tl0PictureIndex: 200),
        VP8PayloadDescriptor(temporalLayerID: 2, layerSync: true),
        VP8PayloadDescriptor(keyIndex: 17),
        VP8PayloadDescriptor(startOfPartition: true, pictureID: 300, tl0PictureIndex: 1, temporalLayerID: 1, layerSync: false,
                             keyIndex: 31),
    ])
    func descriptors(descriptor: VP8PayloadDescriptor) throws {
        var bytes: [UInt8] = []
        descriptor.write(to: &bytes)
        #expect(bytes.count == descriptor.length)
        let parsed = try VP8PayloadDescriptor(parsing: ArraySlice(bytes + [0x9D]))
        #expect(parsed.length == descriptor.length)
        #expect(parsed.startOfPartition == descriptor.startOfPartition && parsed.nonReference == descriptor.nonReference)
        #expect(parsed.partitionIndex == descriptor.partitionIndex && parsed.pictureID == descriptor.pictureID)
        #expect(parsed.tl0PictureIndex == descriptor.tl0PictureIndex && parsed.temporalLayerID == descriptor.temporalLayerID)
        #expect(parsed.keyIndex == descriptor.keyIndex && parsed.layerSync == descriptor.layerSync)
        if descriptor.pictureID != nil { #expect(parsed.longPictureID == descriptor.longPictureID) }
    }

    @Test("known bytes: X=1 I=1 M=1 15-bit picture id, S=1 (RFC 7741 §4.2 figure)")
    func knownBytes() throws {
        let descriptor = try VP8PayloadDescriptor(parsing: [0x90, 0x80, 0x81, 0x23, 0x10][...])
        #expect(descriptor.startOfPartition && descriptor.partitionIndex == 0)
        #expect(descriptor.pictureID == 0x0123 && descriptor.longPictureID && descriptor.length == 4)
        // 7-bit picture id with TL0PICIDX and TID/KEYIDX.
        let short = try VP8PayloadDescriptor(parsing: [0x80, 0xF0, 0x05, 0x07, 0b10_1_00011, 0xAA][...])
        #expect(short.pictureID == 5 && !short.longPictureID && short.tl0PictureIndex == 7)
        #expect(short.temporalLayerID == 2 && short.layerSync && short.keyIndex == 3 && short.length == 5)
    }

    @Test("round trip: random frames of many sizes, marker on the last packet, MTU respected, key frames flagged")
    func roundTrip() throws {
        var random = TestBytes(seed: 42)
        var packetizer = VP8Packetizer(mtu: 1200, initialPictureID: 0x7FFE)
        var depacketizer = VP8Depacketizer()
        var header = RTPHeader(payloadType: 96, sequenceNumber: 65_530, timestamp: 0, ssrc: 9)
        for (index, size) in [1, 2, 100, 1_195, 1_196, 1_197, 2_392, 5_000, 65_536, 200_000].enumerated() {
            var frame = random.bytes(size)
            frame[0] = index % 3 == 0 ? frame[0] & 0xFE : frame[0] | 0x01  // key frame every third
            let timestamp = UInt32(index) * 3000
            let packets = try packetizer.packets(for: frame, timestamp: timestamp, header: &header)
            #expect(packets.allSatisfy { $0.payload.count <= 1200 })
            #expect(packets.map(\.header.marker) == Array(repeating: false, count: packets.count - 1) + [true])
            let descriptors = try packets.map { try VP8PayloadDescriptor(parsing: $0.payload[...]) }
            #expect(descriptors.map(\.startOfPartition) == [true] + Array(repeating: false, count: packets.count - 1))
            #expect(Set(descriptors.map(\.pictureID)).count == 1, "one picture id per frame")
            let events = try depacketize(packets) { try depacketizer.push(payload: $0.payload[...], sequenceNumber: $0.header.sequenceNumber,
                                                                              timestamp: $0.header.timestamp, marker: $0.header.marker) }
            #expect(events == [.frame(RTPVideoFrame(data: frame, timestamp: timestamp, isKeyframe: index % 3 == 0))])
        }
        #expect(packetizer.pictureID == (0x7FFE + 10) & 0x7FFF, "the 15-bit picture id wraps")
        #expect(depacketizer.stats.frames == 10 && depacketizer.stats.keyframes == 4 && depacketizer.stats.packetsLost == 0)
    }

    @Test("loss drops the frame and every delta frame until a key frame")
    func loss() throws {
        var packetizer = VP8Packetizer(mtu: 500)
        var depacketizer = VP8Depacketizer()
        var header = RTPHeader(payloadType: 96, sequenceNumber: 0, timestamp: 0, ssrc: 9)
        var random = TestBytes(seed: 7)
        func frame(key: Bool) -> [UInt8] {
            var bytes = random.bytes(1_200)
            bytes[0] = key ? 0x10 : 0x11
            return bytes
        }
        var packets: [RTPPacket] = []
        for (index, key) in [true, false, false, false, true].enumerated() {
            packets += try packetizer.packets(for: frame(key: key), timestamp: UInt32(index) * 3000, header: &header)
        }
        #expect(packets.count == 15)  // 3 per frame
        // Lose the middle packet of frame 1: frames 1–3 are dropped, 0 and 4 decode.
        let events = try depacketize(packets, skipping: [4]) {
            try depacketizer.push(payload: $0.payload[...], sequenceNumber: $0.header.sequenceNumber, timestamp: $0.header.timestamp,
                                  marker: $0.header.marker)
        }
        let kinds = events.map { event -> String in
            switch event {
            case .frame(let frame): frame.isKeyframe ? "K" : "D"
            case .frameDropped(_, let reason): "x:\(reason)"
            }
        }
        #expect(kinds == ["K", "x:packetLoss", "x:awaitingKeyframe", "x:awaitingKeyframe", "K"])
        #expect(depacketizer.stats.packetsLost == 1 && depacketizer.stats.keyframesNeeded == 1 && !depacketizer.needsKeyframe)

        // Losing a frame's first packet: the rest of it cannot start a frame.
        var fresh = VP8Depacketizer(requireKeyframeFirst: false)
        let dropped = try depacketize(packets, skipping: [3]) {
            try fresh.push(payload: $0.payload[...], sequenceNumber: $0.header.sequenceNumber, timestamp: $0.header.timestamp,
                           marker: $0.header.marker)
        }
        #expect(dropped.contains(.frameDropped(timestamp: 3000, reason: .missingStart)))
    }

    @Test("malformed payloads are rejected with a typed error", arguments: [
        ([] as [UInt8], RTPVideoPayloadError.empty("VP8 RTP payload")),
        ([0x10], .vp8NoPayload),
        ([0x90], .vp8DescriptorTruncated(needed: 2, available: 1)),
        ([0x80], .vp8DescriptorTruncated(needed: 2, available: 1)),
        ([0x90, 0x80], .vp8DescriptorTruncated(needed: 3, available: 2)),
        ([0x90, 0x80, 0x81], .vp8DescriptorTruncated(needed: 4, available: 3)),
        ([0x90, 0x40], .vp8DescriptorTruncated(needed: 3, available: 2)),
        ([0x90, 0x30], .vp8DescriptorTruncated(needed: 3, available: 2)),
    ])
    func malformed(bytes: [UInt8], expected: RTPVideoPayloadError) {
        var depacketizer = VP8Depacketizer()
        #expect(throws: expected) {
            try depacketizer.push(payload: bytes[...], sequenceNumber: 1, timestamp: 0, marker: true)
        }
        #expect(depacketizer.stats.malformed == 1 && depacketizer.stats.packets == 0)
    }

    @Test("packetizer rejects an empty frame and an MTU with no room")
    func packetizerErrors() {
        var packetizer = VP8Packetizer(mtu: 4)
        #expect(throws: RTPVideoPayloadError.empty("VP8 frame")) { try packetizer.payloads(for: []) }
        #expect(throws: RTPVideoPayloadError.mtuTooSmall(mtu: 4, minimum: 5)) { try packetizer.payloads(for: [1]) }
    }
}

@Suite("H.264 RTP payload (RFC 6184, packetization-mode 1)")
struct H264PacketizationTests {
    /// A synthetic NAL unit: header byte (F=0, NRI, type) then random bytes with no
    /// 00 00 0x start-code prefix (as emulation prevention guarantees).
    static func nal(type: UInt8, nri: UInt8 = 3, size: Int, random: inout TestBytes) -> [UInt8] {
        var unit: [UInt8] = [nri << 5 | type]
        while unit.count < size {
            let byte = random.next()
            if byte <= 3, unit.count >= 2, unit[unit.count - 1] == 0, unit[unit.count - 2] == 0 { continue }
            unit.append(byte)
        }
        if unit.last == 0 { unit[unit.count - 1] = 0x80 }  // rbsp trailing bits end in a 1
        return unit
    }

    static func annexB(_ units: [[UInt8]], longStartCodes: Bool = true) -> [UInt8] {
        units.enumerated().flatMap { index, unit in (longStartCodes || index == 0 ? [0, 0, 0, 1] : [0, 0, 1]) + unit }
    }

    static func push(_ depacketizer: inout H264Depacketizer, _ packet: RTPPacket) throws -> [RTPDepacketizerEvent] {
        try depacketizer.push(payload: packet.payload[...], sequenceNumber: packet.header.sequenceNumber,
                              timestamp: packet.header.timestamp, marker: packet.header.marker)
    }

    @Test("Annex B splitting: 3- and 4-byte start codes, leading and trailing zeros, AUD dropped")
    func annexBSplit() throws {
        let bytes: [UInt8] = [0, 0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x65, 4, 5, 0, 0]
        let units = try H264Packetizer.nalUnits(annexB: bytes).map(Array.init)
        #expect(units == [[0x67, 1, 2], [0x68, 3], [0x09, 0xF0], [0x65, 4, 5]])
        #expect(H264Packetizer.isKeyframe(annexB: bytes))
        #expect(throws: RTPVideoPayloadError.h264NotAnnexB) { try H264Packetizer.nalUnits(annexB: [0x67, 0, 0, 1, 0x68]) }
        #expect(throws: RTPVideoPayloadError.h264NotAnnexB) { try H264Packetizer().payloads(forAnnexB: [1, 2, 3, 4]) }
        #expect(throws: RTPVideoPayloadError.h264ForbiddenBit) { try H264Packetizer().payloads(forAnnexB: [0, 0, 1, 0xE5, 1]) }
        #expect(throws: RTPVideoPayloadError.h264UndefinedNALType(28)) { try H264Packetizer().payloads(forAnnexB: [0, 0, 1, 0x7C, 1]) }
        #expect(throws: RTPVideoPayloadError.empty("H.264 access unit (no NAL units)")) {
            try H264Packetizer().payloads(forAnnexB: [0, 0, 1, 0x09, 0xF0])
        }
        // Small units aggregate into one STAP-A; the AUD is not sent.
        let payloads = try H264Packetizer().payloads(forAnnexB: bytes)
        #expect(payloads == [[0x78, 0, 3, 0x67, 1, 2, 0, 2, 0x68, 3, 0, 3, 0x65, 4, 5]])
        // With an MTU that fits SPS + PPS but not the IDR too, the IDR goes alone.
        let split = try H264Packetizer(mtu: 12).payloads(forAnnexB: bytes)
        #expect(split == [[0x78, 0, 3, 0x67, 1, 2, 0, 2, 0x68, 3], [0x65, 4, 5]])
    }

    @Test("SPS/PPS/IDR access unit: STAP-A + FU-A, marker on the last packet, reassembled byte for byte")
    func keyframeAccessUnit() throws {
        var random = TestBytes(seed: 3)
        let sps = Self.nal(type: 7, size: 12, random: &random)
        let pps = Self.nal(type: 8, size: 5, random: &random)
        let sei = Self.nal(type: 6, nri: 0, size: 20, random: &random)
        let idr = Self.nal(type: 5, size: 5_000, random: &random)
        let frame = Self.annexB([sps, pps, sei, idr])
        var header = RTPHeader(payloadType: 102, sequenceNumber: 100, timestamp: 0, ssrc: 5)
        let packets = try H264Packetizer(mtu: 1200).packets(forAnnexB: frame, timestamp: 90_000, header: &header)
        #expect(packets[0].payload[0] & 0x1F == 24, "SPS, PPS, SEI in one STAP-A")
        #expect(packets[0].payload[0] & 0x60 == 0x60, "STAP-A NRI is the maximum of its units'")
        #expect(packets.dropFirst().allSatisfy { $0.payload[0] & 0x1F == 28 }, "the IDR in FU-As")
        #expect(packets[1].payload[1] == 0x80 | 5 && packets.last!.payload[1] == 0x40 | 5, "S on the first, E on the last")
        #expect(packets.allSatisfy { $0.payload.count <= 1200 })
        #expect(packets.map(\.header.marker).filter { $0 }.count == 1 && packets.last!.header.marker)
        var depacketizer = H264Depacketizer()
        var events: [RTPDepacketizerEvent] = []
        for packet in packets { events += try Self.push(&depacketizer, packet) }
        #expect(events == [.frame(RTPVideoFrame(data: frame, timestamp: 90_000, isKeyframe: true))])
    }

    @Test("round trip: random access units of many sizes, up to NAL units past 64 KB in FU-A")
    func roundTrip() throws {
        var random = TestBytes(seed: 99)
        var depacketizer = H264Depacketizer(requireKeyframeFirst: false)
        var header = RTPHeader(payloadType: 102, sequenceNumber: 65_000, timestamp: 0, ssrc: 5)
        let packetizer = H264Packetizer()
        for (index, sizes) in [[1], [2, 3], [1_199], [1_200], [1_201], [10, 20, 30, 1_100], [70_000], [100, 150_000, 2], [300_000]]
            .enumerated()
        {
            let units = sizes.enumerated().map { i, size in Self.nal(type: i == 0 && index % 2 == 0 ? 5 : 1, size: size, random: &random) }
            let frame = Self.annexB(units)
            let packets = try packetizer.packets(forAnnexB: frame, timestamp: UInt32(index) * 3000, header: &header)
            #expect(packets.allSatisfy { $0.payload.count <= 1200 })
            #expect(packets.last!.header.marker && packets.dropLast().allSatisfy { !$0.header.marker })
            var events: [RTPDepacketizerEvent] = []
            for packet in packets { events += try Self.push(&depacketizer, packet) }
            #expect(events == [.frame(RTPVideoFrame(data: frame, timestamp: UInt32(index) * 3000, isKeyframe: index % 2 == 0))],
                    "sizes \(sizes)")
        }
        #expect(depacketizer.stats.packetsLost == 0 && depacketizer.stats.frames == 9)
    }

    @Test("a lost FU-A fragment drops the access unit; deltas wait for the next IDR")
    func loss() throws {
        var random = TestBytes(seed: 5)
        var header = RTPHeader(payloadType: 102, sequenceNumber: 0, timestamp: 0, ssrc: 5)
        let packetizer = H264Packetizer(mtu: 1000)
        var packets: [RTPPacket] = []
        for (index, type) in ([5, 1, 1, 5] as [UInt8]).enumerated() {
            let frame = Self.annexB([Self.nal(type: type, size: 2_500, random: &random)])
            packets += try packetizer.packets(forAnnexB: frame, timestamp: UInt32(index) * 3000, header: &header)
        }
        #expect(packets.count == 12)
        var depacketizer = H264Depacketizer()
        var kinds: [String] = []
        for (index, packet) in packets.enumerated() where index != 4 {  // frame 1's middle FU-A
            for event in try Self.push(&depacketizer, packet) {
                switch event {
                case .frame(let frame): kinds.append(frame.isKeyframe ? "K" : "D")
                case .frameDropped(_, let reason): kinds.append("x:\(reason)")
                }
            }
        }
        #expect(kinds == ["K", "x:packetLoss", "x:awaitingKeyframe", "K"])
        #expect(depacketizer.stats.keyframesNeeded == 1 && depacketizer.stats.framesDropped == 2)
        // Losing the FU-A start instead: the fragments after it cannot start the access unit.
        var other = H264Depacketizer()
        var reasons: [RTPFrameDropReason] = []
        for (index, packet) in packets.enumerated() where index != 3 {
            for case .frameDropped(_, let reason) in try Self.push(&other, packet) { reasons.append(reason) }
        }
        #expect(reasons == [.missingStart, .awaitingKeyframe])
    }

    @Test("malformed payloads are rejected with a typed error", arguments: [
        ([] as [UInt8], RTPVideoPayloadError.empty("H.264 RTP payload")),
        ([0x85, 1], .h264ForbiddenBit),
        ([0x00, 1], .h264UndefinedNALType(0)),
        ([0x1E, 1], .h264UndefinedNALType(30)),
        ([0x19, 1], .h264UnsupportedNALType(25)),
        ([0x1D, 1, 2], .h264UnsupportedNALType(29)),
        ([0x18], .h264STAPATruncated(offset: 1, size: 0, available: 0)),
        ([0x18, 0, 5, 0x67, 1], .h264STAPATruncated(offset: 1, size: 5, available: 2)),
        ([0x18, 0, 0], .h264STAPATruncated(offset: 1, size: 0, available: 0)),
        ([0x18, 0, 1, 0x67, 0], .h264STAPATruncated(offset: 4, size: 2, available: 1)),
        ([0x18, 0, 1, 0x87], .h264ForbiddenBit),
        ([0x1C, 0x85], .h264MalformedFUA("is 2 bytes; it needs at least 3")),
        ([0x1C, 0xC5, 1], .h264MalformedFUA("sets both the start and end bits")),
    ])
    func malformed(bytes: [UInt8], expected: RTPVideoPayloadError) {
        var depacketizer = H264Depacketizer()
        #expect(throws: expected) {
            try depacketizer.push(payload: bytes[...], sequenceNumber: 1, timestamp: 0, marker: true)
        }
        #expect(depacketizer.stats.malformed == 1 && depacketizer.stats.packets == 0)
    }
}

@Suite("Fuzz smoke: video payloads (seeded)")
struct VideoPayloadFuzzSmokeTests {
    @Test("VP8 and H.264 depacketizers never trap; packetize → depacketize round-trips")
    func videoPayloads() throws {
        var random = TestBytes(seed: 11)
        let annexB = H264PacketizationTests.annexB([
            H264PacketizationTests.nal(type: 7, size: 10, random: &random), H264PacketizationTests.nal(type: 8, size: 4, random: &random),
            H264PacketizationTests.nal(type: 5, size: 300, random: &random),
        ])
        let vp8 = [0x90, 0x80, 0x81, 0x23, 0x10, 1, 2, 3, 0x10, 0x00, 0x9D, 0x01, 0x2A] as [UInt8]
        let packets: [UInt8] = [5, 0x09, 0x18, 0, 1, 0x67, 0, 3, 0x0D, 0x1C, 0x85, 1]
        FuzzSmokeTests.run(seed: 0x5649_4445, corpus: [annexB, vp8, packets], check: FuzzChecks.videoPayload)
    }
}
