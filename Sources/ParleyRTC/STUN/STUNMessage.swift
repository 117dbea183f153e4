// SPDX-License-Identifier: Apache-2.0

/// A STUN message (RFC 8489 §5–6): the type, a transaction ID and attributes in wire order.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |0 0|     STUN Message Type     |         Message Length        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                         Magic Cookie                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     Transaction ID (96 bits)                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            attributes: type (16), length (16), value, pad to 4 |
/// ```
///
/// Encoding adds MESSAGE-INTEGRITY / MESSAGE-INTEGRITY-SHA256 / FINGERPRINT at the end when
/// asked (`encode(integrityKey:algorithms:fingerprint:)`); decoding checks structure only,
/// and `verifyIntegrity` / `verifyFingerprint` check the MACs against the original bytes,
/// because an HMAC covers bytes, not a decoded model. `decode(_:integrityKey:requireFingerprint:)`
/// does both in one call.
public struct STUNMessage: Sendable, Hashable, CustomStringConvertible {
    /// RFC 8489 §5: distinguishes STUN from other protocols on the same port.
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let headerLength = 20
    /// RFC 8489 §14.7: the FINGERPRINT CRC is XORed with this ("STUN") so it differs from a
    /// CRC the application protocol might carry.
    public static let fingerprintXOR: UInt32 = 0x5354_554E

    public var type: STUNMessageType
    public var transactionID: STUNTransactionID
    /// In wire order. When decoding, attributes after MESSAGE-INTEGRITY other than
    /// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are dropped, as RFC 8489 §14.5 requires
    /// ("MUST be ignored"): they are not covered by the MAC.
    public var attributes: [STUNAttribute]

    public init(type: STUNMessageType, transactionID: STUNTransactionID = .random(), attributes: [STUNAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    // MARK: - Attribute access

    /// The first attribute of a type: RFC 8489 §14 says only the first of a kind counts.
    public func attribute(_ type: STUNAttributeType) -> STUNAttribute? {
        attributes.first { $0.type == type }
    }

    public var username: String? {
        if case .username(let value)? = attribute(.username) { return value }
        return nil
    }

    public var xorMappedAddress: TransportAddress? {
        if case .xorMappedAddress(let value)? = attribute(.xorMappedAddress) { return value }
        return nil
    }

    public var mappedAddress: TransportAddress? {
        if case .mappedAddress(let value)? = attribute(.mappedAddress) { return value }
        return nil
    }

    public var errorCode: STUNErrorCode? {
        if case .errorCode(let value)? = attribute(.errorCode) { return value }
        return nil
    }

    public var priority: UInt32? {
        if case .priority(let value)? = attribute(.priority) { return value }
        return nil
    }

    public var useCandidate: Bool { attribute(.useCandidate) != nil }

    public var iceControlling: UInt64? {
        if case .iceControlling(let value)? = attribute(.iceControlling) { return value }
        return nil
    }

    public var iceControlled: UInt64? {
        if case .iceControlled(let value)? = attribute(.iceControlled) { return value }
        return nil
    }

    public var software: String? {
        if case .software(let value)? = attribute(.software) { return value }
        return nil
    }

    public var fingerprint: UInt32? {
        if case .fingerprint(let value)? = attribute(.fingerprint) { return value }
        return nil
    }

    /// Comprehension-required types (< 0x8000) this decoder does not understand: a request
    /// carrying any must be answered with 420 and these in UNKNOWN-ATTRIBUTES (RFC 8489 §6.3.1.1).
    public var unknownComprehensionRequired: [STUNAttributeType] {
        attributes.compactMap { attribute in
            if case .other(let type, _) = attribute, type.isComprehensionRequired { return type }
            return nil
        }
    }

    public var description: String {
        "STUN \(type) \(transactionID) [" + attributes.map { "\($0.type)" }.joined(separator: ", ") + "]"
    }

    // MARK: - Encoding (RFC 8489 §5, §14.5–14.7)

    /// Serializes the message. With a key, appends MESSAGE-INTEGRITY (HMAC-SHA1, §14.5) and/or
    /// MESSAGE-INTEGRITY-SHA256 (§14.6), in that order; with `fingerprint`, appends FINGERPRINT
    /// (§14.7) last. Each MAC is computed with the length field already counting the MAC
    /// attribute itself, as the RFC prescribes.
    ///
    /// Attributes already in `attributes` are written as they are, including integrity or
    /// fingerprint attributes left over from decoding; a caller re-signing a decoded message
    /// should remove those first.
    ///
    /// - Parameter paddingByte: the value of the padding bytes. RFC 8489 §14 lets senders pick
    ///   any value (receivers ignore it); RFC 5769's test vectors use 0x20, so tests can
    ///   reproduce them byte for byte.
    public func encode(
        integrityKey: STUNIntegrityKey? = nil,
        algorithms: STUNIntegrityAlgorithms = .sha1,
        fingerprint: Bool = false,
        paddingByte: UInt8 = 0
    ) throws(STUNError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        out.appendBE16(type.rawValue)
        out.appendBE16(0)  // length, set below
        out.appendBE32(STUNMessage.magicCookie)
        out.appendBE32(transactionID.high)
        out.appendBE64(transactionID.low)

        func append(_ type: STUNAttributeType, _ value: [UInt8]) throws(STUNError) {
            guard value.count <= 0xFFFF else { throw .messageTooLong(value.count) }
            out.appendBE16(type.rawValue)
            out.appendBE16(UInt16(value.count))
            out += value
            let padding = (4 - value.count % 4) % 4
            for _ in 0..<padding { out.append(paddingByte) }
            guard out.count - STUNMessage.headerLength <= 0xFFFF else {
                throw .messageTooLong(out.count - STUNMessage.headerLength)
            }
        }
        /// Sets the length field to the body so far plus `extra` bytes still to come.
        func setLength(adding extra: Int) throws(STUNError) {
            let length = out.count - STUNMessage.headerLength + extra
            guard length <= 0xFFFF else { throw .messageTooLong(length) }
            out.setBE16(UInt16(length), at: 2)
        }

        for attribute in attributes {
            try append(attribute.type, try attribute.encodeValue(transactionID: transactionID))
        }
        if let key = integrityKey {
            if algorithms.contains(.sha1) {
                try setLength(adding: 24)
                try append(.messageIntegrity, Digest.hmacSHA1(key: key.bytes, data: out))
            }
            if algorithms.contains(.sha256) {
                try setLength(adding: 36)
                try append(.messageIntegritySHA256, Digest.hmacSHA256(key: key.bytes, data: out))
            }
        }
        if fingerprint {
            try setLength(adding: 8)
            var value: [UInt8] = []
            value.appendBE32(CRC32.checksum(out) ^ STUNMessage.fingerprintXOR)
            try append(.fingerprint, value)
        }
        try setLength(adding: 0)
        return out
    }

    // MARK: - Decoding

    /// Decodes and validates the structure (RFC 8489 §5–6, §14): header, cookie, lengths,
    /// every attribute's size and content. Does not check MACs; see `verifyIntegrity`.
    public static func decode(_ bytes: [UInt8]) throws(STUNError) -> STUNMessage {
        let header = try checkHeader(bytes)
        var attributes: [STUNAttribute] = []
        var sawIntegrity = false
        var sawIntegritySHA256 = false
        var sawFingerprint = false
        var offset = headerLength
        while offset < bytes.count {
            let (type, valueRange, next) = try attributeBounds(bytes, at: offset)
            if sawFingerprint { throw .attributeAfterFingerprint(type, offset: offset) }
            // RFC 8489 §14.5/§14.6: after a MAC only a later MAC or FINGERPRINT counts.
            let ignored: Bool
            switch type {
            case .fingerprint: ignored = false
            case .messageIntegritySHA256: ignored = sawIntegritySHA256
            case .messageIntegrity: ignored = sawIntegrity || sawIntegritySHA256
            default: ignored = sawIntegrity || sawIntegritySHA256
            }
            if !ignored {
                let attribute = try STUNAttribute.decode(
                    type: type, value: bytes[valueRange], transactionID: header.transactionID)
                attributes.append(attribute)
                switch type {
                case .messageIntegrity: sawIntegrity = true
                case .messageIntegritySHA256: sawIntegritySHA256 = true
                case .fingerprint: sawFingerprint = true
                default: break
                }
            }
            offset = next
        }
        return STUNMessage(type: header.type, transactionID: header.transactionID, attributes: attributes)
    }

    /// Decodes, then verifies FINGERPRINT (if `requireFingerprint`, or whenever present) and
    /// MESSAGE-INTEGRITY with `integrityKey` (if given). This is what an ICE agent calls on a
    /// connectivity check: RFC 8445 §7.3 requires both for checks between WebRTC peers.
    public static func decode(
        _ bytes: [UInt8], integrityKey: STUNIntegrityKey?, requireFingerprint: Bool = true
    ) throws(STUNError) -> STUNMessage {
        let message = try decode(bytes)
        if requireFingerprint || message.fingerprint != nil {
            try verifyFingerprint(bytes)
        }
        if let integrityKey {
            try verifyIntegrity(bytes, key: integrityKey)
        }
        return message
    }

    /// Checks MESSAGE-INTEGRITY (`.sha1`) or MESSAGE-INTEGRITY-SHA256 (`.sha256`) in the raw
    /// message (RFC 8489 §14.5–14.6): the HMAC covers the header, with the length field
    /// rewritten to end just after the MAC attribute, and every attribute before the MAC.
    /// A truncated SHA-256 MAC is compared with the same prefix of the full MAC.
    public static func verifyIntegrity(
        _ bytes: [UInt8], key: STUNIntegrityKey, algorithm: STUNIntegrityAlgorithms = .sha1
    ) throws(STUNError) {
        _ = try checkHeader(bytes)
        let wanted: STUNAttributeType = algorithm == .sha256 ? .messageIntegritySHA256 : .messageIntegrity
        var offset = headerLength
        while offset < bytes.count {
            let (type, valueRange, next) = try attributeBounds(bytes, at: offset)
            if type == wanted {
                var covered = Array(bytes[..<offset])
                covered.setBE16(UInt16(offset - headerLength + 4 + valueRange.count), at: 2)
                let received = Array(bytes[valueRange])
                let computed: [UInt8]
                if wanted == .messageIntegrity {
                    guard received.count == 20 else {
                        throw .invalidAttributeLength(wanted, length: received.count, expected: "20")
                    }
                    computed = Digest.hmacSHA1(key: key.bytes, data: covered)
                } else {
                    guard received.count >= 16, received.count <= 32, received.count % 4 == 0 else {
                        throw .invalidAttributeLength(wanted, length: received.count, expected: "16 to 32 in steps of 4")
                    }
                    computed = Array(Digest.hmacSHA256(key: key.bytes, data: covered).prefix(received.count))
                }
                guard Digest.constantTimeEqual(computed, received) else { throw .integrityMismatch(wanted) }
                return
            }
            // FINGERPRINT ends the message; a SHA-256 MAC before any SHA-1 MAC means a later
            // SHA-1 MAC is to be ignored (RFC 8489 §14.6).
            if type == .fingerprint || (wanted == .messageIntegrity && type == .messageIntegritySHA256) { break }
            offset = next
        }
        throw .missingMessageIntegrity(wanted)
    }

    /// Checks FINGERPRINT (RFC 8489 §14.7): CRC-32 of everything before it, with the length
    /// field counting the FINGERPRINT attribute, XOR 0x5354554E. It must be the last attribute.
    public static func verifyFingerprint(_ bytes: [UInt8]) throws(STUNError) {
        _ = try checkHeader(bytes)
        var offset = headerLength
        while offset < bytes.count {
            let (type, valueRange, next) = try attributeBounds(bytes, at: offset)
            if type == .fingerprint {
                guard valueRange.count == 4 else {
                    throw .invalidAttributeLength(.fingerprint, length: valueRange.count, expected: "4")
                }
                guard next == bytes.count else {
                    let (after, _, _) = try attributeBounds(bytes, at: next)
                    throw .attributeAfterFingerprint(after, offset: next)
                }
                // The length field already ends at the FINGERPRINT, because it is last.
                let expected = CRC32.checksum(bytes[..<offset]) ^ fingerprintXOR
                let found = bytes.readBE32(valueRange.lowerBound)
                guard expected == found else { throw .fingerprintMismatch(expected: expected, found: found) }
                return
            }
            offset = next
        }
        throw .missingFingerprint
    }

    // MARK: - Wire helpers

    private static func checkHeader(_ bytes: [UInt8]) throws(STUNError) -> (type: STUNMessageType, transactionID: STUNTransactionID) {
        guard bytes.count >= headerLength else { throw .tooShort(length: bytes.count) }
        guard bytes[0] & 0xC0 == 0 else { throw .notSTUN(firstByte: bytes[0]) }
        let cookie = bytes.readBE32(4)
        guard cookie == magicCookie else { throw .badMagicCookie(cookie) }
        let length = Int(bytes.readBE16(2))
        guard length % 4 == 0 else { throw .lengthNotMultipleOfFour(length) }
        guard length == bytes.count - headerLength else {
            throw .lengthMismatch(declared: length, actual: bytes.count - headerLength)
        }
        let type = STUNMessageType(rawValue: bytes.readBE16(0))
        let transactionID = STUNTransactionID(high: bytes.readBE32(8), low: bytes.readBE64(12))
        return (type, transactionID)
    }

    /// The attribute at `offset`: its type, the range of its value (unpadded) and the offset
    /// of the next attribute (after padding, §14).
    private static func attributeBounds(
        _ bytes: [UInt8], at offset: Int
    ) throws(STUNError) -> (STUNAttributeType, Range<Int>, Int) {
        guard offset + 4 <= bytes.count else { throw .attributeHeaderTruncated(offset: offset) }
        let type = STUNAttributeType(rawValue: bytes.readBE16(offset))
        let length = Int(bytes.readBE16(offset + 2))
        let padded = (length + 3) & ~3
        let available = bytes.count - offset - 4
        guard padded <= available else {
            throw .attributeTruncated(type, offset: offset, length: length, available: available)
        }
        return (type, (offset + 4)..<(offset + 4 + length), offset + 4 + padded)
    }
}
