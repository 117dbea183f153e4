// SPDX-License-Identifier: Apache-2.0

/// The properties the fuzz targets (Fuzz/) and the fuzz smoke tests check for every input:
/// a parser never traps, and whatever it accepts serializes back into something it parses
/// to an equal value. A violated property traps (`precondition`), which libFuzzer reports as
/// a crash with the input saved.
///
/// Exposed as SPI so the fuzz executables can call it without making it public API.
@_spi(Fuzzing)
public enum FuzzChecks {
    /// STUN: decode; if accepted, re-encode and decode to the same message; run the MAC and
    /// fingerprint checks and the demux predicates on the raw input.
    public static func stun(_ bytes: [UInt8]) {
        _ = isSTUN(bytes)
        _ = PacketDemux.classify(bytes)
        _ = try? STUNMessage.verifyFingerprint(bytes)
        _ = try? STUNMessage.verifyIntegrity(bytes, key: .shortTerm(password: "fuzz"))
        _ = try? STUNMessage.verifyIntegrity(bytes, key: .shortTerm(password: "fuzz"), algorithm: .sha256)
        guard let message = try? STUNMessage.decode(bytes) else { return }
        _ = message.description
        _ = message.unknownComprehensionRequired
        let encoded: [UInt8]
        do {
            encoded = try message.encode()
        } catch {
            preconditionFailure("decoded STUN message does not re-encode: \(error)")
        }
        precondition(isSTUN(encoded), "re-encoded STUN message fails isSTUN")
        precondition((try? STUNMessage.decode(encoded)) == message, "STUN round trip changed the message")
        // Signing the decoded attributes (without their old MACs) must verify.
        var unsigned = message
        unsigned.attributes.removeAll {
            $0.type == .messageIntegrity || $0.type == .messageIntegritySHA256 || $0.type == .fingerprint
        }
        if let signed = try? unsigned.encode(integrityKey: .shortTerm(password: "k"), algorithms: [.sha1, .sha256], fingerprint: true) {
            precondition(
                (try? STUNMessage.decode(signed, integrityKey: .shortTerm(password: "k"))) != nil,
                "freshly signed STUN message does not verify")
        }
    }

    /// RTP: view, copy, re-serialize, parse to the same packet; walk extensions and feed the
    /// sequence/jitter estimators.
    public static func rtp(_ bytes: [UInt8]) {
        guard let view = try? RTPPacketView(bytes) else { return }
        for element in view.extensions { _ = view.bytes[element.range] }
        for index in 0..<view.csrcCount { _ = view.csrc(at: index) }
        let packet: RTPPacket
        do {
            packet = try RTPPacket(parsing: bytes)
        } catch {
            preconditionFailure("RTPPacketView accepted what RTPPacket(parsing:) rejects: \(error)")
        }
        let encoded: [UInt8]
        do {
            encoded = try packet.serialize()
        } catch {
            preconditionFailure("parsed RTP packet does not serialize: \(error)")
        }
        precondition(encoded.count == packet.serializedLength, "RTP serializedLength is wrong")
        precondition((try? RTPPacket(parsing: encoded)) == packet, "RTP round trip changed the packet")
        var stats = RTPReceptionStatistics(ssrc: view.ssrc, firstSequence: view.sequenceNumber)
        var unwrapper = RTPSequenceUnwrapper()
        for (i, byte) in bytes.prefix(64).enumerated() {
            let sequence = view.sequenceNumber &+ UInt16(byte) &* UInt16(i)
            stats.update(sequence: sequence)
            stats.update(arrival: UInt32(i) &* 960 &+ UInt32(byte), rtpTimestamp: view.timestamp &+ UInt32(i) &* 960)
            _ = unwrapper.unwrap(sequence)
        }
        _ = stats.makeReportBlock()
    }

    /// RTCP: parse a compound packet; if accepted, serialize and parse to the same packets.
    public static func rtcp(_ bytes: [UInt8]) {
        _ = PacketDemux.classify(bytes)
        guard let packets = try? RTCPCompound.parse(bytes) else { return }
        let encoded: [UInt8]
        do {
            encoded = try RTCPCompound.serialize(packets)
        } catch {
            preconditionFailure("parsed RTCP packets do not serialize: \(error)")
        }
        precondition(encoded.count == RTCPCompound.serializedLength(packets), "RTCP serializedLength is wrong")
        precondition((try? RTCPCompound.parse(encoded)) == packets, "RTCP round trip changed the packets")
        for case .genericNACK(let nack) in packets {
            let rebuilt = RTCPGenericNACK(senderSSRC: nack.senderSSRC, mediaSSRC: nack.mediaSSRC, lost: nack.lostSequenceNumbers)
            precondition(Set(rebuilt.lostSequenceNumbers) == Set(nack.lostSequenceNumbers), "NACK repacking lost packets")
        }
    }

    /// Video payloads: the input cut into packets (a length byte, a flags byte for sequence
    /// step, new timestamp and marker, then the payload) through the VP8 and H.264
    /// depacketizers never traps; and the input packetized as a VP8 frame, and as an H.264
    /// access unit when it is Annex B, depacketizes back to the same bytes.
    public static func videoPayload(_ bytes: [UInt8]) {
        var vp8 = VP8Depacketizer(requireKeyframeFirst: false)
        var h264 = H264Depacketizer(requireKeyframeFirst: false)
        var index = 0
        var sequence: UInt16 = 0
        var timestamp: UInt32 = 0
        while index + 2 <= bytes.count {
            let length = Int(bytes[index] % 64)
            let flags = bytes[index + 1]
            index += 2
            let end = min(bytes.count, index + length)
            let payload = bytes[index..<end]
            index = end
            sequence &+= UInt16(flags & 0x03)  // 0: a duplicate, 2–3: loss
            if flags & 0x04 != 0 { timestamp &+= 3000 }
            let marker = flags & 0x08 != 0
            _ = try? vp8.push(payload: payload, sequenceNumber: sequence, timestamp: timestamp, marker: marker)
            _ = try? h264.push(payload: payload, sequenceNumber: sequence, timestamp: timestamp, marker: marker)
        }
        guard !bytes.isEmpty else { return }
        let mtu = 8 + Int(bytes[0] % 128)
        var header = RTPHeader(payloadType: 96, sequenceNumber: UInt16(bytes[0]) << 8, timestamp: 0, ssrc: 1)
        var packetizer = VP8Packetizer(mtu: mtu)
        var depacketizer = VP8Depacketizer(requireKeyframeFirst: false)
        guard let packets = try? packetizer.packets(for: bytes, timestamp: 90, header: &header) else {
            preconditionFailure("VP8 packetizer rejected a non-empty frame with MTU \(mtu)")
        }
        var events: [RTPDepacketizerEvent] = []
        for packet in packets {
            precondition(packet.payload.count <= mtu, "VP8 payload exceeds the MTU")
            events += (try? depacketizer.push(payload: packet.payload[...], sequenceNumber: packet.header.sequenceNumber,
                                              timestamp: 90, marker: packet.header.marker)) ?? []
        }
        precondition(events == [.frame(RTPVideoFrame(data: bytes, timestamp: 90, isKeyframe: VP8Packetizer.isKeyframe(bytes)))],
                     "VP8 round trip changed the frame")
        guard let units = try? H264Packetizer.nalUnits(annexB: bytes),
            let h264Packets = try? H264Packetizer(mtu: mtu).packets(forAnnexB: bytes, timestamp: 90, header: &header)
        else { return }
        let sent = units.filter { $0.first.map { $0 & 0x1F } != H264Packetizer.accessUnitDelimiter }
        var h264Depacketizer = H264Depacketizer(requireKeyframeFirst: false)
        events = []
        for packet in h264Packets {
            precondition(packet.payload.count <= mtu, "H.264 payload exceeds the MTU")
            do {
                events += try h264Depacketizer.push(payload: packet.payload[...], sequenceNumber: packet.header.sequenceNumber,
                                                    timestamp: 90, marker: packet.header.marker)
            } catch {
                preconditionFailure("H.264 depacketizer rejected our own packet: \(error)")
            }
        }
        let expected = sent.flatMap { [0, 0, 0, 1] + $0 }
        let keyframe = sent.contains { $0.first.map { $0 & 0x1F } == H264Packetizer.idr }
        precondition(events == [.frame(RTPVideoFrame(data: expected, timestamp: 90, isKeyframe: keyframe))],
                     "H.264 round trip changed the access unit")
    }

    /// SDP: parse the bytes as text; if accepted, serialize and parse to the same description,
    /// and serialize again to the same text. Also parse each line as a trickled candidate.
    public static func sdp(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for line in Substring(text).split(byte: 0x0A, omittingEmpty: true).prefix(8) where line.hasPrefix("a=candidate") {
            if let candidate = try? ICECandidate(parsing: line) {
                precondition((try? ICECandidate(parsing: candidate.description)) == candidate, "candidate round trip changed it")
            }
        }
        guard let description = try? SessionDescription(parsing: text) else { return }
        let serialized = description.serialize()
        let reparsed: SessionDescription
        do {
            reparsed = try SessionDescription(parsing: serialized)
        } catch {
            preconditionFailure("serialized SDP does not parse: \(error)\n\(serialized)")
        }
        precondition(reparsed == description, "SDP round trip changed the description:\n\(serialized)")
        precondition(reparsed.serialize() == serialized, "SDP serialization is not stable")
        for section in description.media {
            _ = section.codecs
            _ = description.iceCredentials(for: section)
        }
        var builder = SDPBuilder(
            transport: SDPTransportParameters(iceUfrag: "fuzz", icePwd: "fuzzfuzzfuzzfuzzfuzzfuzz",
                                              fingerprint: SDPFingerprint(algorithm: "sha-256", bytes: [1, 2])),
            sessionID: "1")
        if let answer = try? builder.answer(to: description) {
            precondition((try? SessionDescription(parsing: answer.serialize())) == answer, "SDP answer does not round-trip")
        }
    }
}
