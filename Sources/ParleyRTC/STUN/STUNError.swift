// SPDX-License-Identifier: Apache-2.0

/// Why a STUN message could not be decoded, encoded or verified. Each case carries what is
/// needed to say exactly what was wrong and where (byte offsets count from the first byte of
/// the message).
public enum STUNError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Fewer than the 20 header bytes (RFC 8489 §5).
    case tooShort(length: Int)
    /// The two most significant bits of the first byte are not zero (RFC 8489 §5).
    case notSTUN(firstByte: UInt8)
    /// The magic cookie is not 0x2112A442 (RFC 8489 §5): a classic RFC 3489 message or not STUN.
    case badMagicCookie(UInt32)
    /// The message length field is not a multiple of 4 (RFC 8489 §5).
    case lengthNotMultipleOfFour(Int)
    /// The message length field disagrees with the datagram's size.
    case lengthMismatch(declared: Int, actual: Int)
    /// An attribute header (4 bytes) does not fit in what is left of the message.
    case attributeHeaderTruncated(offset: Int)
    /// An attribute's value (plus padding) runs past the end of the message.
    case attributeTruncated(STUNAttributeType, offset: Int, length: Int, available: Int)
    /// An attribute has a length its definition does not allow.
    case invalidAttributeLength(STUNAttributeType, length: Int, expected: String)
    /// An address attribute has a family other than 0x01 (IPv4) or 0x02 (IPv6).
    case invalidAddressFamily(STUNAttributeType, family: UInt8)
    /// A text attribute is not valid UTF-8.
    case invalidUTF8(STUNAttributeType)
    /// A text attribute is longer than its definition allows.
    case valueTooLong(STUNAttributeType, length: Int, limit: Int)
    /// ERROR-CODE with a class outside 3–6 or a number above 99.
    case invalidErrorCode(errorClass: Int, number: Int)
    /// An attribute follows FINGERPRINT, which must be last (RFC 8489 §14.7).
    case attributeAfterFingerprint(STUNAttributeType, offset: Int)
    /// Encoding would exceed the 16-bit message length (or an attribute its 16-bit length).
    case messageTooLong(Int)
    /// Verification asked for MESSAGE-INTEGRITY (or -SHA256) that the message does not have.
    case missingMessageIntegrity(STUNAttributeType)
    /// The HMAC does not match the key: wrong password, or the message was altered.
    case integrityMismatch(STUNAttributeType)
    /// Verification asked for FINGERPRINT that the message does not have.
    case missingFingerprint
    /// The CRC-32 does not match: corrupted, or not STUN at all (RFC 8489 §14.7).
    case fingerprintMismatch(expected: UInt32, found: UInt32)

    public var description: String {
        switch self {
        case .tooShort(let length):
            "STUN message is \(length) bytes; the header alone is 20 (RFC 8489 §5)"
        case .notSTUN(let byte):
            "first byte 0x\(hex2(byte)) has its top two bits set; a STUN message's are zero (RFC 8489 §5)"
        case .badMagicCookie(let cookie):
            "magic cookie is 0x\(String(cookie, radix: 16)), not 0x2112a442 (RFC 8489 §5)"
        case .lengthNotMultipleOfFour(let length):
            "message length \(length) is not a multiple of 4 (RFC 8489 §5)"
        case .lengthMismatch(let declared, let actual):
            "message length field says \(declared) bytes of attributes but \(actual) follow the header"
        case .attributeHeaderTruncated(let offset):
            "attribute header at byte \(offset) is cut off"
        case .attributeTruncated(let type, let offset, let length, let available):
            "\(type) at byte \(offset) declares \(length) bytes (padded to 4) but only \(available) remain"
        case .invalidAttributeLength(let type, let length, let expected):
            "\(type) is \(length) bytes; it must be \(expected)"
        case .invalidAddressFamily(let type, let family):
            "\(type) has address family 0x\(hex2(family)); only 0x01 (IPv4) and 0x02 (IPv6) exist (RFC 8489 §14.1)"
        case .invalidUTF8(let type):
            "\(type) is not valid UTF-8"
        case .valueTooLong(let type, let length, let limit):
            "\(type) is \(length) bytes; the limit is \(limit)"
        case .invalidErrorCode(let errorClass, let number):
            "ERROR-CODE class \(errorClass) number \(number) is invalid (class 3–6, number 0–99, RFC 8489 §14.8)"
        case .attributeAfterFingerprint(let type, let offset):
            "\(type) at byte \(offset) follows FINGERPRINT, which must be the last attribute (RFC 8489 §14.7)"
        case .messageTooLong(let length):
            "message would be \(length) bytes of attributes; the length field holds at most 65535"
        case .missingMessageIntegrity(let type):
            "message has no \(type) to verify"
        case .integrityMismatch(let type):
            "\(type) does not match: wrong key or altered message"
        case .missingFingerprint:
            "message has no FINGERPRINT"
        case .fingerprintMismatch(let expected, let found):
            "FINGERPRINT is 0x\(String(found, radix: 16)) but the message's is 0x\(String(expected, radix: 16))"
        }
    }
}

func hex2(_ byte: UInt8) -> String {
    let text = String(byte, radix: 16)
    return text.count == 1 ? "0" + text : text
}
