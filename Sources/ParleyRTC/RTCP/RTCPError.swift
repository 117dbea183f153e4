// SPDX-License-Identifier: Apache-2.0

/// Why an RTCP (compound) packet could not be parsed or serialized. Offsets count from the
/// first byte of the compound packet, so a log line points at the broken sub-packet.
public enum RTCPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing, or fewer than the 4 bytes of a common header (RFC 3550 §6.4.1).
    case headerTruncated(offset: Int, available: Int)
    /// Version is not 2 (RFC 3550 §6.4.1, §A.2).
    case badVersion(UInt8, offset: Int)
    /// The length field runs past the datagram (RFC 3550 §A.2: lengths must add up).
    case lengthExceedsPacket(offset: Int, declared: Int, available: Int)
    /// P is set but the pad count is 0, not a multiple of 4, or larger than the packet body.
    case invalidPadding(offset: Int, count: Int, available: Int)
    /// A packet's body is shorter than its type and count require.
    case bodyTooShort(RTCPPacketType, offset: Int, needed: Int, available: Int)
    /// An SDES item runs past its chunk, or a chunk has no terminating null item (RFC 3550 §6.5).
    case malformedSDES(offset: Int, reason: String)
    /// A BYE reason runs past the packet (RFC 3550 §6.6).
    case malformedBYE(offset: Int)
    /// Serializing: the caller's buffer is too small.
    case bufferTooSmall(needed: Int, available: Int)
    /// Serializing: a value the wire format cannot carry.
    case fieldOutOfRange(String)

    public var description: String {
        switch self {
        case .headerTruncated(let offset, let available):
            "RTCP header at byte \(offset) needs 4 bytes but \(available) remain (RFC 3550 §6.4.1)"
        case .badVersion(let version, let offset):
            "RTCP packet at byte \(offset) has version \(version), not 2 (RFC 3550 §6.4.1)"
        case .lengthExceedsPacket(let offset, let declared, let available):
            "RTCP packet at byte \(offset) declares \(declared) bytes but \(available) remain (RFC 3550 §A.2)"
        case .invalidPadding(let offset, let count, let available):
            "RTCP packet at byte \(offset) has padding count \(count); it must be a multiple of 4 in 4–\(available) (RFC 3550 §6.4.1)"
        case .bodyTooShort(let type, let offset, let needed, let available):
            "RTCP \(type) at byte \(offset) needs \(needed) bytes after its header but has \(available)"
        case .malformedSDES(let offset, let reason):
            "RTCP SDES at byte \(offset): \(reason) (RFC 3550 §6.5)"
        case .malformedBYE(let offset):
            "RTCP BYE at byte \(offset): the reason runs past the packet (RFC 3550 §6.6)"
        case .bufferTooSmall(let needed, let available):
            "RTCP packet needs \(needed) bytes but the buffer has \(available)"
        case .fieldOutOfRange(let what):
            "RTCP \(what)"
        }
    }
}
