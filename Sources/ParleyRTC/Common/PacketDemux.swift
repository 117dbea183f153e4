// SPDX-License-Identifier: Apache-2.0

/// What arrived on the one UDP socket that ICE, DTLS, SRTP and SRTCP share (BUNDLE plus
/// rtcp-mux). RFC 7983 §7 sorts packets by their first byte; RFC 5761 §4 separates RTCP
/// from RTP by the second byte (RTCP packet types 192–223 collide with no RTP payload type
/// that WebRTC uses, because RFC 5761 forbids dynamic payload types 64–95 with rtcp-mux).
public enum DemuxedPacketKind: Sendable, Hashable {
    /// First byte 0–3 (RFC 7983 §7). `isSTUN(_:)` checks the rest of the header.
    case stun
    /// First byte 16–19: ZRTP. Not used by WebRTC; listed so it is not mistaken for DTLS.
    case zrtp
    /// First byte 20–63: a DTLS record (content types 20–25 today, the range reserved).
    case dtls
    /// First byte 64–79: TURN ChannelData (RFC 8656 §12) on a relayed candidate.
    case turnChannel
    /// First byte 128–191 with a second byte outside 192–223.
    case rtp
    /// First byte 128–191 with a second byte (packet type) in 192–223.
    case rtcp
    /// Anything else: drop it.
    case unknown
}

public enum PacketDemux {
    /// Classifies a datagram by RFC 7983 §7 and RFC 5761 §4. Empty input is `.unknown`.
    public static func classify(_ bytes: some RandomAccessCollection<UInt8>) -> DemuxedPacketKind {
        guard let first = bytes.first else { return .unknown }
        switch first {
        case 0...3: return .stun
        case 16...19: return .zrtp
        case 20...63: return .dtls
        case 64...79: return .turnChannel
        case 128...191:
            guard bytes.count >= 2 else { return .unknown }
            let second = bytes[bytes.index(after: bytes.startIndex)]
            return (192...223).contains(second) ? .rtcp : .rtp
        default: return .unknown
        }
    }
}

/// Whether `bytes` looks like a STUN message: the RFC 7983 first-byte range (the two most
/// significant bits zero, RFC 8489 §5), the magic cookie 0x2112A442 at offset 4, a 20-byte
/// header, and a message length that is a multiple of 4 and matches the datagram. A cheap,
/// allocation-free test for the socket's demultiplexer; `STUNMessage.decode` does the full
/// validation.
public func isSTUN(_ bytes: some RandomAccessCollection<UInt8>) -> Bool {
    guard bytes.count >= STUNMessage.headerLength else { return false }
    func at(_ offset: Int) -> UInt8 { bytes[bytes.index(bytes.startIndex, offsetBy: offset)] }
    guard at(0) & 0xC0 == 0 else { return false }
    let cookie = UInt32(at(4)) << 24 | UInt32(at(5)) << 16 | UInt32(at(6)) << 8 | UInt32(at(7))
    guard cookie == STUNMessage.magicCookie else { return false }
    let length = Int(at(2)) << 8 | Int(at(3))
    return length % 4 == 0 && length + STUNMessage.headerLength == bytes.count
}
