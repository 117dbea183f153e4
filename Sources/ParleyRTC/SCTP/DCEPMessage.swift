// SPDX-License-Identifier: Apache-2.0

/// Data Channel Establishment Protocol messages (RFC 8832 §5), sent with PPID 50 on the
/// channel's own stream, ordered and reliable.
///
///     DATA_CHANNEL_OPEN (§5.1)
///      0                   1                   2                   3
///     | Message Type=3|  Channel Type |            Priority           |
///     |                    Reliability Parameter                      |
///     |         Label Length          |       Protocol Length         |
///     |  Label ...  |  Protocol ...                                   |
///
///     DATA_CHANNEL_ACK (§5.2): one byte, Message Type=2.
public enum DCEPMessage: Sendable, Hashable {
    case open(label: String, protocol: String, reliability: DataChannelReliability, priority: UInt16)
    case ack

    static let openType: UInt8 = 0x03
    static let ackType: UInt8 = 0x02

    public func encode() -> [UInt8] {
        switch self {
        case .ack:
            return [Self.ackType]
        case .open(let label, let proto, let reliability, let priority):
            let labelBytes = Array(label.utf8.prefix(0xFFFF))
            let protocolBytes = Array(proto.utf8.prefix(0xFFFF))
            let parameter = reliability.reliabilityParameter
            var out: [UInt8] = [Self.openType, reliability.channelType, UInt8(priority >> 8), UInt8(priority & 0xFF)]
            out += [UInt8(parameter >> 24), UInt8(parameter >> 16 & 0xFF), UInt8(parameter >> 8 & 0xFF), UInt8(parameter & 0xFF)]
            out += [UInt8(labelBytes.count >> 8), UInt8(labelBytes.count & 0xFF)]
            out += [UInt8(protocolBytes.count >> 8), UInt8(protocolBytes.count & 0xFF)]
            return out + labelBytes + protocolBytes
        }
    }

    /// Parses one DCEP message; nil for anything malformed or of an unknown type.
    public static func decode(_ bytes: [UInt8]) -> DCEPMessage? {
        guard let type = bytes.first else { return nil }
        switch type {
        case ackType:
            return bytes.count == 1 ? .ack : nil
        case openType:
            guard bytes.count >= 12 else { return nil }
            let priority = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
            let parameter = UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
            let labelLength = Int(bytes[8]) << 8 | Int(bytes[9])
            let protocolLength = Int(bytes[10]) << 8 | Int(bytes[11])
            guard bytes.count == 12 + labelLength + protocolLength,
                let reliability = DataChannelReliability(channelType: bytes[1], parameter: parameter)
            else { return nil }
            let label = String(decoding: bytes[12..<(12 + labelLength)], as: UTF8.self)
            let proto = String(decoding: bytes[(12 + labelLength)...], as: UTF8.self)
            return .open(label: label, protocol: proto, reliability: reliability, priority: priority)
        default:
            return nil
        }
    }
}
