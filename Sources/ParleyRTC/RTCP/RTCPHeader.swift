// SPDX-License-Identifier: Apache-2.0

/// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611).
public struct RTCPPacketType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let senderReport = RTCPPacketType(rawValue: 200)
    public static let receiverReport = RTCPPacketType(rawValue: 201)
    public static let sourceDescription = RTCPPacketType(rawValue: 202)
    public static let goodbye = RTCPPacketType(rawValue: 203)
    public static let applicationDefined = RTCPPacketType(rawValue: 204)
    /// Transport-layer feedback (RFC 4585 §6.2): generic NACK (FMT 1), TWCC (FMT 15).
    public static let transportFeedback = RTCPPacketType(rawValue: 205)
    /// Payload-specific feedback (RFC 4585 §6.3): PLI (FMT 1), FIR (FMT 4, RFC 5104), REMB (FMT 15).
    public static let payloadFeedback = RTCPPacketType(rawValue: 206)
    public static let extendedReport = RTCPPacketType(rawValue: 207)

    public var description: String {
        switch self {
        case .senderReport: "SR"
        case .receiverReport: "RR"
        case .sourceDescription: "SDES"
        case .goodbye: "BYE"
        case .applicationDefined: "APP"
        case .transportFeedback: "RTPFB"
        case .payloadFeedback: "PSFB"
        case .extendedReport: "XR"
        default: "packet type \(rawValue)"
        }
    }
}

/// The common RTCP header (RFC 3550 §6.4.1):
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|  count  |      PT       |  length (32-bit words − 1)    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// `count` is the report/source count for SR/RR/SDES/BYE and the feedback message type
/// (FMT) for RTPFB/PSFB (RFC 4585 §6.1).
public struct RTCPHeader: Sendable, Hashable {
    public var padding: Bool
    public var count: UInt8
    public var packetType: RTCPPacketType
    /// The whole packet's length in bytes, header and padding included.
    public var packetLength: Int
}

/// An RTCP packet ParleyRTC does not decode (APP, XR, TWCC, other feedback formats): kept
/// with its header fields and body so a compound packet re-serializes unchanged.
public struct RTCPRawPacket: Sendable, Hashable {
    public var packetType: RTCPPacketType
    /// The 5-bit count / FMT field.
    public var count: UInt8
    /// The bytes after the 4-byte header, without padding: a multiple of 4 when serialized.
    public var body: [UInt8]

    public init(packetType: RTCPPacketType, count: UInt8, body: [UInt8]) {
        self.packetType = packetType
        self.count = count
        self.body = body
    }
}
