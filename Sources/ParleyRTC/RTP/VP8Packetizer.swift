// SPDX-License-Identifier: Apache-2.0

/// Splits encoded VP8 frames into RTP payloads (RFC 7741 §4): each payload is a payload
/// descriptor and a slice of the frame, at most `mtu` bytes together. The first payload of a
/// frame has S = 1 and PID = 0 (the frame is sent as one partition, as libwebrtc does without
/// partition-aware packetization); the RTP marker bit goes on the last packet (§4.1).
///
/// With `pictureIDs` on, every payload carries a 15-bit picture id (the I and M bits), one
/// per frame, wrapping at 2^15: LiveKit's SFU and libwebrtc receivers use it to detect frame
/// loss, so it is on by default.
public struct VP8Packetizer: Sendable {
    public let mtu: Int
    public var pictureIDs: Bool
    /// The next frame's picture id (15 bits).
    public private(set) var pictureID: UInt16

    public init(mtu: Int = 1200, pictureIDs: Bool = true, initialPictureID: UInt16 = UInt16.random(in: 0...0x7FFF)) {
        self.mtu = mtu
        self.pictureIDs = pictureIDs
        pictureID = initialPictureID & 0x7FFF
    }

    /// Whether a VP8 frame is a key frame: the frame tag's P bit (bit 0 of the first byte) is 0
    /// (RFC 7741 §4.3, RFC 6386 §9.1).
    public static func isKeyframe<C: Collection>(_ frame: C) -> Bool where C.Element == UInt8 {
        guard let first = frame.first else { return false }
        return first & 0x01 == 0
    }

    /// The payloads of one frame, in order; the last one gets the marker bit.
    public mutating func payloads(for frame: [UInt8]) throws(RTPVideoPayloadError) -> [[UInt8]] {
        guard !frame.isEmpty else { throw .empty("VP8 frame") }
        var descriptor = VP8PayloadDescriptor(startOfPartition: true, pictureID: pictureIDs ? pictureID : nil)
        let room = mtu - descriptor.length
        guard room > 0 else { throw .mtuTooSmall(mtu: mtu, minimum: descriptor.length + 1) }
        if pictureIDs { pictureID = (pictureID &+ 1) & 0x7FFF }
        var out: [[UInt8]] = []
        out.reserveCapacity((frame.count + room - 1) / room)
        var offset = 0
        while offset < frame.count {
            let end = min(frame.count, offset + room)
            var payload: [UInt8] = []
            payload.reserveCapacity(descriptor.length + end - offset)
            descriptor.write(to: &payload)
            payload += frame[offset..<end]
            out.append(payload)
            descriptor.startOfPartition = false
            offset = end
        }
        return out
    }

    /// RTP packets for one frame: `header` supplies SSRC, payload type and the next sequence
    /// number (advanced past the frame); every packet gets `timestamp`, the last the marker.
    public mutating func packets(for frame: [UInt8], timestamp: UInt32, header: inout RTPHeader) throws(RTPVideoPayloadError)
        -> [RTPPacket]
    {
        let payloads = try payloads(for: frame)
        return RTPVideoPacketization.packets(payloads, timestamp: timestamp, header: &header)
    }
}

/// Shared by the video packetizers: payloads → RTP packets with sequence numbers and marker.
enum RTPVideoPacketization {
    static func packets(_ payloads: [[UInt8]], timestamp: UInt32, header: inout RTPHeader) -> [RTPPacket] {
        var packets: [RTPPacket] = []
        packets.reserveCapacity(payloads.count)
        for (index, payload) in payloads.enumerated() {
            var packetHeader = header
            packetHeader.timestamp = timestamp
            packetHeader.marker = index == payloads.count - 1
            packets.append(RTPPacket(header: packetHeader, payload: payload))
            header.sequenceNumber &+= 1
        }
        return packets
    }
}
