// SPDX-License-Identifier: Apache-2.0

/// The 96-bit transaction ID that pairs a STUN response with its request (RFC 8489 §6).
///
/// Stored as two integers rather than an array so the type is a plain value with no heap
/// storage; it also salts XOR-MAPPED-ADDRESS for IPv6 (RFC 8489 §14.2).
public struct STUNTransactionID: Sendable, Hashable, CustomStringConvertible {
    /// Bytes 0–3.
    public var high: UInt32
    /// Bytes 4–11.
    public var low: UInt64

    public init(high: UInt32, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Exactly 12 bytes in wire order.
    public init?(bytes: some Collection<UInt8>) {
        let array = Array(bytes)
        guard array.count == 12 else { return nil }
        high = array.readBE32(0)
        low = array.readBE64(4)
    }

    /// A fresh ID from the system CSPRNG. RFC 8489 §6 asks for "cryptographically random"
    /// IDs so an off-path attacker cannot forge responses.
    public static func random() -> STUNTransactionID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public static func random(using generator: inout some RandomNumberGenerator) -> STUNTransactionID {
        STUNTransactionID(high: generator.next(), low: generator.next())
    }

    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(12)
        out.appendBE32(high)
        out.appendBE64(low)
        return out
    }

    public var description: String { hexString(bytes) }
}
