// SPDX-License-Identifier: Apache-2.0

/// An IPv4 or IPv6 address as it appears in STUN address attributes (RFC 8489 §14.1–14.2),
/// SDP `c=`/`a=candidate` lines and, later, the ICE agent's candidate pairs.
///
/// A value type with no platform socket types in it, so the wire codecs stay independent of
/// the socket layer and can be fuzzed anywhere. Text parsing accepts dotted-quad IPv4 and the
/// RFC 4291 §2.2 IPv6 forms (with `::` and an embedded dotted quad); printing follows the
/// RFC 5952 canonical form, so two spellings of one address print the same.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The 32-bit address, most significant octet first (`192.0.2.1` is `0xC000_0201`).
    case v4(UInt32)
    /// The 128-bit address as two 64-bit halves, most significant first.
    case v6(high: UInt64, low: UInt64)

    public enum Family: Sendable, Hashable {
        case v4, v6
    }

    public var family: Family {
        switch self {
        case .v4: .v4
        case .v6: .v6
        }
    }

    /// 4 or 16 bytes in network order.
    public init?(bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        switch array.count {
        case 4:
            self = .v4(array.readBE32(0))
        case 16:
            self = .v6(high: array.readBE64(0), low: array.readBE64(8))
        default:
            return nil
        }
    }

    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        switch self {
        case .v4(let value):
            out.reserveCapacity(4)
            out.appendBE32(value)
        case .v6(let high, let low):
            out.reserveCapacity(16)
            out.appendBE64(high)
            out.appendBE64(low)
        }
        return out
    }

    /// Parses `192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`. Rejects zone ids (`%eth0`),
    /// brackets, leading/trailing spaces and octal/hex IPv4 spellings: SDP and STUN never
    /// carry those, and accepting them would let two different strings name one candidate.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        if let v4 = IPAddress.parseV4(utf8[...]) {
            self = .v4(v4)
        } else if let (high, low) = IPAddress.parseV6(utf8) {
            self = .v6(high: high, low: low)
        } else {
            return nil
        }
    }

    /// Whether this is a loopback address (127.0.0.0/8, ::1).
    public var isLoopback: Bool {
        switch self {
        case .v4(let value): value >> 24 == 127
        case .v6(let high, let low): high == 0 && low == 1
        }
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return IPAddress.formatV4(value)
        case .v6(let high, let low):
            return IPAddress.formatV6(high: high, low: low)
        }
    }

    // MARK: - Parsing

    static func parseV4(_ utf8: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        for byte in utf8 {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                // No leading zeros ("01"): they are octal in some parsers.
                if digits == 1 && current == 0 { return nil }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if current > 255 || digits > 3 { return nil }
            } else if byte == UInt8(ascii: ".") {
                if digits == 0 || octets == 3 { return nil }
                value = value << 8 | current
                octets += 1
                current = 0
                digits = 0
            } else {
                return nil
            }
        }
        if digits == 0 || octets != 3 { return nil }
        return value << 8 | current
    }

    static func parseV6(_ utf8: [UInt8]) -> (UInt64, UInt64)? {
        if utf8.count < 2 || utf8.count > 45 { return nil }
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var compressAt: Int? = nil
        var index = 0
        if utf8.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            compressAt = 0
            index = 2
            if index == utf8.count { return (0, 0) }
        } else if utf8[0] == UInt8(ascii: ":") {
            return nil
        }
        while index < utf8.count {
            // One group: 1–4 hex digits, or a trailing dotted quad.
            var end = index
            var sawDot = false
            while end < utf8.count && utf8[end] != UInt8(ascii: ":") {
                if utf8[end] == UInt8(ascii: ".") { sawDot = true }
                end += 1
            }
            let piece = utf8[index..<end]
            if sawDot {
                // An embedded IPv4 address must be the last piece.
                guard end == utf8.count, let v4 = parseV4(piece) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                index = end
                break
            }
            guard !piece.isEmpty, piece.count <= 4 else { return nil }
            var group: UInt16 = 0
            for byte in piece {
                guard let nibble = hexValue(byte) else { return nil }
                group = group << 4 | UInt16(nibble)
            }
            groups.append(group)
            if groups.count > 8 { return nil }
            index = end
            if index == utf8.count { break }
            // At a ':'. A second ':' marks the one allowed compression.
            index += 1
            if index < utf8.count && utf8[index] == UInt8(ascii: ":") {
                if compressAt != nil { return nil }
                compressAt = groups.count
                index += 1
                if index == utf8.count { break }
            } else if index == utf8.count {
                return nil // trailing single ':'
            }
        }
        var full: [UInt16]
        if let at = compressAt {
            // "::" stands for at least one zero group (RFC 4291 §2.2; RFC 5952 §4.2.2).
            guard groups.count <= 7 else { return nil }
            full = Array(groups[..<at])
            full += Array(repeating: 0, count: 8 - groups.count)
            full += groups[at...]
        } else {
            guard groups.count == 8 else { return nil }
            full = groups
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(full[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(full[i]) }
        return (high, low)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: - Formatting

    static func formatV4(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
    }

    /// RFC 5952 §4: lower case, no leading zeros, the longest run (first on a tie) of two or
    /// more zero groups as `::`; §5: IPv4-mapped addresses end in a dotted quad.
    static func formatV6(high: UInt64, low: UInt64) -> String {
        if high == 0 && low >> 32 == 0xFFFF {
            return "::ffff:" + formatV4(UInt32(truncatingIfNeeded: low))
        }
        var groups: [UInt16] = []
        for i in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: high >> UInt64(i))) }
        for i in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: low >> UInt64(i))) }
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                let length = i - runStart
                if length > bestLength && length >= 2 {
                    bestStart = runStart
                    bestLength = length
                }
                runStart = -1
            }
        }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[i], radix: 16)
            i += 1
        }
        return text
    }
}

/// An IP address and a port: a STUN mapped address, an ICE candidate's transport address.
public struct TransportAddress: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `192.0.2.1:3478`, `[2001:db8::1]:3478`.
    public var description: String {
        switch address {
        case .v4: "\(address):\(port)"
        case .v6: "[\(address)]:\(port)"
        }
    }
}
