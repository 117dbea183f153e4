// SPDX-License-Identifier: Apache-2.0

/// One packet of an RTCP compound packet (RFC 3550 §6.1), decoded where ParleyRTC knows it.
public enum RTCPPacket: Sendable, Hashable {
    case senderReport(RTCPSenderReport)
    case receiverReport(RTCPReceiverReport)
    case sourceDescription(RTCPSourceDescription)
    case goodbye(RTCPGoodbye)
    case genericNACK(RTCPGenericNACK)
    case pictureLossIndication(RTCPPictureLossIndication)
    case fullIntraRequest(RTCPFullIntraRequest)
    case receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate)
    /// APP, XR, transport-wide CC and other feedback: header fields and body, unchanged.
    case other(RTCPRawPacket)

    public var packetType: RTCPPacketType {
        switch self {
        case .senderReport: .senderReport
        case .receiverReport: .receiverReport
        case .sourceDescription: .sourceDescription
        case .goodbye: .goodbye
        case .genericNACK: .transportFeedback
        case .pictureLossIndication, .fullIntraRequest, .receiverEstimatedMaximumBitrate: .payloadFeedback
        case .other(let raw): raw.packetType
        }
    }

    /// The header's 5-bit count (SR/RR/SDES/BYE) or FMT (feedback) field.
    var countField: UInt8 {
        switch self {
        case .senderReport(let sr): UInt8(truncatingIfNeeded: sr.reports.count)
        case .receiverReport(let rr): UInt8(truncatingIfNeeded: rr.reports.count)
        case .sourceDescription(let sdes): UInt8(truncatingIfNeeded: sdes.chunks.count)
        case .goodbye(let bye): UInt8(truncatingIfNeeded: bye.sources.count)
        case .genericNACK: RTCPGenericNACK.format
        case .pictureLossIndication: RTCPPictureLossIndication.format
        case .fullIntraRequest: RTCPFullIntraRequest.format
        case .receiverEstimatedMaximumBitrate: RTCPReceiverEstimatedMaximumBitrate.format
        case .other(let raw): raw.count
        }
    }

    var bodyLength: Int {
        switch self {
        case .senderReport(let p): p.bodyLength
        case .receiverReport(let p): p.bodyLength
        case .sourceDescription(let p): p.bodyLength
        case .goodbye(let p): p.bodyLength
        case .genericNACK(let p): p.bodyLength
        case .pictureLossIndication(let p): p.bodyLength
        case .fullIntraRequest(let p): p.bodyLength
        case .receiverEstimatedMaximumBitrate(let p): p.bodyLength
        case .other(let raw): raw.body.count
        }
    }

    /// Bytes on the wire, header included.
    public var serializedLength: Int { 4 + bodyLength }

    func validate() throws(RTCPError) {
        switch self {
        case .senderReport(let p): try p.validate()
        case .receiverReport(let p): try p.validate()
        case .sourceDescription(let p): try p.validate()
        case .goodbye(let p): try p.validate()
        case .receiverEstimatedMaximumBitrate(let p): try p.validate()
        case .genericNACK, .pictureLossIndication, .fullIntraRequest: break
        case .other(let raw):
            guard raw.count <= 31 else { throw .fieldOutOfRange("count/FMT \(raw.count) does not fit 5 bits") }
            guard raw.body.count % 4 == 0 else { throw .fieldOutOfRange("\(raw.packetType) body is not a whole number of words") }
        }
        guard serializedLength / 4 - 1 <= 0xFFFF else { throw .fieldOutOfRange("\(packetType) is longer than 65536 words") }
    }

    func write(_ writer: inout BufferWriter) {
        writer.u8(0x80 | countField)
        writer.u8(packetType.rawValue)
        writer.be16(UInt16(serializedLength / 4 - 1))
        switch self {
        case .senderReport(let p): p.writeBody(&writer)
        case .receiverReport(let p): p.writeBody(&writer)
        case .sourceDescription(let p): p.writeBody(&writer)
        case .goodbye(let p): p.writeBody(&writer)
        case .genericNACK(let p): p.writeBody(&writer)
        case .pictureLossIndication(let p): p.writeBody(&writer)
        case .fullIntraRequest(let p): p.writeBody(&writer)
        case .receiverEstimatedMaximumBitrate(let p): p.writeBody(&writer)
        case .other(let raw): writer.bytes(raw.body)
        }
    }

    static func decode(header: RTCPHeader, body: ArraySlice<UInt8>, offset: Int) throws(RTCPError) -> RTCPPacket {
        switch (header.packetType, header.count) {
        case (.senderReport, _):
            return .senderReport(try RTCPSenderReport(header: header, body: body, offset: offset))
        case (.receiverReport, _):
            return .receiverReport(try RTCPReceiverReport(header: header, body: body, offset: offset))
        case (.sourceDescription, _):
            return .sourceDescription(try RTCPSourceDescription(header: header, body: body, offset: offset))
        case (.goodbye, _):
            return .goodbye(try RTCPGoodbye(header: header, body: body, offset: offset))
        case (.transportFeedback, RTCPGenericNACK.format):
            return .genericNACK(try RTCPGenericNACK(body: body, offset: offset))
        case (.payloadFeedback, RTCPPictureLossIndication.format):
            return .pictureLossIndication(try RTCPPictureLossIndication(body: body, offset: offset))
        case (.payloadFeedback, RTCPFullIntraRequest.format):
            return .fullIntraRequest(try RTCPFullIntraRequest(body: body, offset: offset))
        case (.payloadFeedback, RTCPReceiverEstimatedMaximumBitrate.format)
        where RTCPReceiverEstimatedMaximumBitrate.matches(body):
            return .receiverEstimatedMaximumBitrate(try RTCPReceiverEstimatedMaximumBitrate(body: body, offset: offset))
        default:
            return .other(RTCPRawPacket(packetType: header.packetType, count: header.count, body: Array(body)))
        }
    }
}

/// Parsing and building RTCP compound packets (RFC 3550 §6.1).
///
/// Parsing follows the §A.2 validity checks that matter on a muxed socket — version 2,
/// every length inside the datagram, lengths adding up exactly, valid padding — but not
/// "the first packet is SR or RR": reduced-size RTCP (RFC 5506, `a=rtcp-rsize`, which LiveKit
/// offers) sends feedback alone.
public enum RTCPCompound {
    /// Splits and decodes a compound packet. Packet types ParleyRTC does not decode come
    /// back as `.other`.
    public static func parse(_ bytes: [UInt8]) throws(RTCPError) -> [RTCPPacket] {
        guard !bytes.isEmpty else { throw .headerTruncated(offset: 0, available: 0) }
        var packets: [RTCPPacket] = []
        var offset = 0
        while offset < bytes.count {
            let header = try parseHeader(bytes, at: offset)
            var end = offset + header.packetLength
            if header.padding {
                let count = Int(bytes[end - 1])
                let available = header.packetLength - 4
                // RFC 3550 §6.4.1: the count includes itself and "will be a multiple of four".
                guard count >= 1, count <= available, count % 4 == 0 else {
                    throw .invalidPadding(offset: offset, count: count, available: available)
                }
                end -= count
            }
            packets.append(try RTCPPacket.decode(header: header, body: bytes[(offset + 4)..<end], offset: offset))
            offset += header.packetLength
        }
        return packets
    }

    /// The common header at `offset`, checked against the datagram.
    public static func parseHeader(_ bytes: [UInt8], at offset: Int) throws(RTCPError) -> RTCPHeader {
        guard bytes.count - offset >= 4 else { throw .headerTruncated(offset: offset, available: bytes.count - offset) }
        let version = bytes[offset] >> 6
        guard version == 2 else { throw .badVersion(version, offset: offset) }
        let length = (Int(bytes.readBE16(offset + 2)) + 1) * 4
        guard length <= bytes.count - offset else {
            throw .lengthExceedsPacket(offset: offset, declared: length, available: bytes.count - offset)
        }
        return RTCPHeader(
            padding: bytes[offset] & 0x20 != 0, count: bytes[offset] & 0x1F,
            packetType: RTCPPacketType(rawValue: bytes[offset + 1]), packetLength: length)
    }

    public static func serializedLength(_ packets: [RTCPPacket]) -> Int {
        packets.reduce(0) { $0 + $1.serializedLength }
    }

    /// Writes the packets back to back into `buffer` (no padding: SRTCP needs none); returns
    /// the bytes written.
    @discardableResult
    public static func serialize(_ packets: [RTCPPacket], into buffer: UnsafeMutableRawBufferPointer) throws(RTCPError) -> Int {
        for packet in packets { try packet.validate() }
        let needed = serializedLength(packets)
        guard buffer.count >= needed else { throw .bufferTooSmall(needed: needed, available: buffer.count) }
        var writer = BufferWriter(buffer)
        for packet in packets { packet.write(&writer) }
        return writer.offset
    }

    public static func serialize(_ packets: [RTCPPacket]) throws(RTCPError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: serializedLength(packets))
        let result = out.withUnsafeMutableBytes { buffer in Result { () throws(RTCPError) in try serialize(packets, into: buffer) } }
        _ = try result.get()
        return out
    }
}
