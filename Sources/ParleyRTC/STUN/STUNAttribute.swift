// SPDX-License-Identifier: Apache-2.0

/// One STUN attribute (RFC 8489 §14), decoded into its meaning where ParleyRTC knows it.
///
/// Attributes keep the order they have on the wire: the order matters for MESSAGE-INTEGRITY
/// and FINGERPRINT, which cover everything before them. Unknown types are kept as `.other`
/// with their raw value, so an agent can answer 420 with UNKNOWN-ATTRIBUTES (§7.3.1) and a
/// decoded message re-encodes to the same bytes.
public enum STUNAttribute: Sendable, Hashable {
    /// MAPPED-ADDRESS (RFC 8489 §14.1): the reflexive address, unobfuscated (RFC 3489 servers).
    case mappedAddress(TransportAddress)
    /// XOR-MAPPED-ADDRESS (RFC 8489 §14.2): the reflexive address XORed with the magic cookie
    /// (and the transaction ID for IPv6) so NATs that rewrite addresses in payloads leave it alone.
    case xorMappedAddress(TransportAddress)
    /// USERNAME (RFC 8489 §14.3): for ICE, "<remote ufrag>:<local ufrag>" (RFC 8445 §7.2.2).
    case username(String)
    /// MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1, 20 bytes, as found on the wire.
    case messageIntegrity([UInt8])
    /// MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): HMAC-SHA256, 16–32 bytes in steps of 4.
    case messageIntegritySHA256([UInt8])
    /// FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message XOR 0x5354554E.
    case fingerprint(UInt32)
    /// ERROR-CODE (RFC 8489 §14.8), e.g. 487 Role Conflict (RFC 8445 §7.3.1.1).
    case errorCode(STUNErrorCode)
    /// UNKNOWN-ATTRIBUTES (RFC 8489 §14.9): the comprehension-required types a 420 rejects.
    case unknownAttributes([STUNAttributeType])
    /// SOFTWARE (RFC 8489 §14.14): agent name and version; informational.
    case software(String)
    /// REALM (RFC 8489 §14.9): long-term credential realm (TURN).
    case realm(String)
    /// NONCE (RFC 8489 §14.10): server nonce for long-term credentials (TURN).
    case nonce(String)
    /// PRIORITY (RFC 8445 §7.1.1): the priority a peer-reflexive candidate learned from this
    /// check would have.
    case priority(UInt32)
    /// USE-CANDIDATE (RFC 8445 §7.1.2): the controlling agent nominates this pair. No value.
    case useCandidate
    /// ICE-CONTROLLED (RFC 8445 §7.1.3): the sender is controlled; the tie-breaker settles
    /// role conflicts.
    case iceControlled(tieBreaker: UInt64)
    /// ICE-CONTROLLING (RFC 8445 §7.1.3): the sender is controlling.
    case iceControlling(tieBreaker: UInt64)
    /// Any other attribute, with its value bytes (padding removed).
    case other(type: STUNAttributeType, value: [UInt8])

    public var type: STUNAttributeType {
        switch self {
        case .mappedAddress: .mappedAddress
        case .xorMappedAddress: .xorMappedAddress
        case .username: .username
        case .messageIntegrity: .messageIntegrity
        case .messageIntegritySHA256: .messageIntegritySHA256
        case .fingerprint: .fingerprint
        case .errorCode: .errorCode
        case .unknownAttributes: .unknownAttributes
        case .software: .software
        case .realm: .realm
        case .nonce: .nonce
        case .priority: .priority
        case .useCandidate: .useCandidate
        case .iceControlled: .iceControlled
        case .iceControlling: .iceControlling
        case .other(let type, _): type
        }
    }

    // Byte limits from RFC 8489: USERNAME < 513 (§14.3), the 763-byte fields (§14.8–14.10, §14.14).
    static let usernameLimit = 512
    static let textLimit = 763

    // MARK: - Decoding (RFC 8489 §14)

    /// Decodes one attribute value. `value` is the attribute's bytes without padding.
    static func decode(
        type: STUNAttributeType, value: ArraySlice<UInt8>, transactionID: STUNTransactionID
    ) throws(STUNError) -> STUNAttribute {
        switch type {
        case .mappedAddress:
            return .mappedAddress(try decodeAddress(type, value, xor: nil))
        case .xorMappedAddress:
            return .xorMappedAddress(try decodeAddress(type, value, xor: transactionID))
        case .username:
            return .username(try decodeText(type, value, limit: usernameLimit))
        case .software, .realm, .nonce:
            let text = try decodeText(type, value, limit: textLimit)
            switch type {
            case .software: return .software(text)
            case .realm: return .realm(text)
            default: return .nonce(text)
            }
        case .messageIntegrity:
            guard value.count == 20 else { throw .invalidAttributeLength(type, length: value.count, expected: "20") }
            return .messageIntegrity(Array(value))
        case .messageIntegritySHA256:
            guard value.count >= 16, value.count <= 32, value.count % 4 == 0 else {
                throw .invalidAttributeLength(type, length: value.count, expected: "16 to 32 in steps of 4")
            }
            return .messageIntegritySHA256(Array(value))
        case .fingerprint:
            guard value.count == 4 else { throw .invalidAttributeLength(type, length: value.count, expected: "4") }
            return .fingerprint(value.readBE32(value.startIndex))
        case .errorCode:
            guard value.count >= 4 else {
                throw .invalidAttributeLength(type, length: value.count, expected: "at least 4")
            }
            let start = value.startIndex
            let errorClass = Int(value[start + 2] & 0x07)
            let number = Int(value[start + 3])
            guard (3...6).contains(errorClass), number <= 99 else {
                throw .invalidErrorCode(errorClass: errorClass, number: number)
            }
            let reason = try decodeText(type, value[(start + 4)...], limit: textLimit)
            return .errorCode(STUNErrorCode(code: errorClass * 100 + number, reason: reason))
        case .unknownAttributes:
            guard value.count % 2 == 0 else {
                throw .invalidAttributeLength(type, length: value.count, expected: "a multiple of 2")
            }
            var types: [STUNAttributeType] = []
            var index = value.startIndex
            while index < value.endIndex {
                types.append(STUNAttributeType(rawValue: value.readBE16(index)))
                index += 2
            }
            return .unknownAttributes(types)
        case .priority:
            guard value.count == 4 else { throw .invalidAttributeLength(type, length: value.count, expected: "4") }
            return .priority(value.readBE32(value.startIndex))
        case .useCandidate:
            guard value.isEmpty else { throw .invalidAttributeLength(type, length: value.count, expected: "0") }
            return .useCandidate
        case .iceControlled, .iceControlling:
            guard value.count == 8 else { throw .invalidAttributeLength(type, length: value.count, expected: "8") }
            let tieBreaker = value.readBE64(value.startIndex)
            return type == .iceControlled ? .iceControlled(tieBreaker: tieBreaker) : .iceControlling(tieBreaker: tieBreaker)
        default:
            return .other(type: type, value: Array(value))
        }
    }

    private static func decodeText(
        _ type: STUNAttributeType, _ value: ArraySlice<UInt8>, limit: Int
    ) throws(STUNError) -> String {
        guard value.count <= limit else { throw .valueTooLong(type, length: value.count, limit: limit) }
        guard let text = String(validating: value, as: UTF8.self) else { throw .invalidUTF8(type) }
        return text
    }

    /// RFC 8489 §14.1 (plain) and §14.2 (XOR): reserved byte, family, port, address.
    private static func decodeAddress(
        _ type: STUNAttributeType, _ value: ArraySlice<UInt8>, xor transactionID: STUNTransactionID?
    ) throws(STUNError) -> TransportAddress {
        guard value.count >= 4 else {
            throw .invalidAttributeLength(type, length: value.count, expected: "8 (IPv4) or 20 (IPv6)")
        }
        let start = value.startIndex
        let family = value[start + 1]
        var port = value.readBE16(start + 2)
        let expected: Int
        switch family {
        case 0x01: expected = 8
        case 0x02: expected = 20
        default: throw .invalidAddressFamily(type, family: family)
        }
        guard value.count == expected else {
            throw .invalidAttributeLength(type, length: value.count, expected: family == 1 ? "8 for IPv4" : "20 for IPv6")
        }
        var address = Array(value[(start + 4)...])
        if let transactionID {
            port ^= UInt16(STUNMessage.magicCookie >> 16)
            let mask = xorMask(transactionID)
            for i in address.indices { address[i] ^= mask[i] }
        }
        return TransportAddress(address: IPAddress(bytes: address)!, port: port)  // 4 or 16 bytes: checked above
    }

    /// Magic cookie followed by the transaction ID: the XOR mask for addresses (§14.2).
    private static func xorMask(_ transactionID: STUNTransactionID) -> [UInt8] {
        var mask: [UInt8] = []
        mask.reserveCapacity(16)
        mask.appendBE32(STUNMessage.magicCookie)
        mask.appendBE32(transactionID.high)
        mask.appendBE64(transactionID.low)
        return mask
    }

    // MARK: - Encoding

    /// The attribute's value bytes, without padding.
    func encodeValue(transactionID: STUNTransactionID) throws(STUNError) -> [UInt8] {
        switch self {
        case .mappedAddress(let address):
            return STUNAttribute.encodeAddress(address, xor: nil)
        case .xorMappedAddress(let address):
            return STUNAttribute.encodeAddress(address, xor: transactionID)
        case .username(let text):
            return try STUNAttribute.encodeText(.username, text, limit: STUNAttribute.usernameLimit)
        case .software(let text):
            return try STUNAttribute.encodeText(.software, text, limit: STUNAttribute.textLimit)
        case .realm(let text):
            return try STUNAttribute.encodeText(.realm, text, limit: STUNAttribute.textLimit)
        case .nonce(let text):
            return try STUNAttribute.encodeText(.nonce, text, limit: STUNAttribute.textLimit)
        case .messageIntegrity(let mac), .messageIntegritySHA256(let mac):
            return mac
        case .fingerprint(let crc):
            var out: [UInt8] = []
            out.appendBE32(crc)
            return out
        case .errorCode(let error):
            guard (300...699).contains(error.code) else {
                throw .invalidErrorCode(errorClass: error.code / 100, number: error.code % 100)
            }
            var out: [UInt8] = [0, 0, UInt8(error.code / 100), UInt8(error.code % 100)]
            out += try STUNAttribute.encodeText(.errorCode, error.reason, limit: STUNAttribute.textLimit)
            return out
        case .unknownAttributes(let types):
            var out: [UInt8] = []
            for type in types { out.appendBE16(type.rawValue) }
            return out
        case .priority(let priority):
            var out: [UInt8] = []
            out.appendBE32(priority)
            return out
        case .useCandidate:
            return []
        case .iceControlled(let tieBreaker), .iceControlling(let tieBreaker):
            var out: [UInt8] = []
            out.appendBE64(tieBreaker)
            return out
        case .other(_, let value):
            return value
        }
    }

    private static func encodeText(_ type: STUNAttributeType, _ text: String, limit: Int) throws(STUNError) -> [UInt8] {
        let bytes = Array(text.utf8)
        guard bytes.count <= limit else { throw .valueTooLong(type, length: bytes.count, limit: limit) }
        return bytes
    }

    private static func encodeAddress(_ address: TransportAddress, xor transactionID: STUNTransactionID?) -> [UInt8] {
        var out: [UInt8] = [0, address.address.family == .v4 ? 0x01 : 0x02]
        var port = address.port
        var bytes = address.address.bytes
        if let transactionID {
            port ^= UInt16(STUNMessage.magicCookie >> 16)
            let mask = xorMask(transactionID)
            for i in bytes.indices { bytes[i] ^= mask[i] }
        }
        out.appendBE16(port)
        out += bytes
        return out
    }
}
