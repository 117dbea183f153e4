// SPDX-License-Identifier: Apache-2.0

/// CRC-32 as ISO 3309 / ITU-T V.42 / IEEE 802.3 define it (reflected polynomial 0xEDB88320,
/// initial value and final XOR 0xFFFFFFFF): the checksum STUN's FINGERPRINT attribute uses
/// (RFC 8489 §14.7). Table-driven, one byte per step; the table is computed once.
///
/// (SCTP's CRC-32c is a different polynomial and gets its own type with the SCTP work.)
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0xFFFF_FFFF

    public init() {}

    static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
        }
        return crc
    }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let table = CRC32.table
        var crc = value
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        value = crc
    }

    /// The checksum of everything passed to `update` so far.
    public var checksum: UInt32 { value ^ 0xFFFF_FFFF }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.checksum
    }
}
