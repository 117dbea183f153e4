// SPDX-License-Identifier: Apache-2.0

/// Just enough of the SCTP wire format (RFC 9260 §3) for the harness to address fuzzed chunks
/// to a live association: the common header, CRC32c, and the few chunk fields that carry
/// TSNs. usrsctp checks the checksum and the verification tag before it looks at a chunk,
/// and drops DATA whose TSN is outside its window, so raw random bytes would only ever test
/// those three checks.
enum SCTPWire {
    static let headerLength = 12

    // Chunk types (RFC 9260 §3.2, RFC 3758, RFC 6525, RFC 8260).
    static let data: UInt8 = 0
    static let initChunk: UInt8 = 1
    static let initAck: UInt8 = 2
    static let sack: UInt8 = 3
    static let shutdown: UInt8 = 7
    static let cookieEcho: UInt8 = 10
    static let nrSack: UInt8 = 16
    static let iData: UInt8 = 64
    static let forwardTSN: UInt8 = 192
    static let iForwardTSN: UInt8 = 194

    static func read32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func write32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        bytes[offset] = UInt8(value >> 24)
        bytes[offset + 1] = UInt8(value >> 16 & 0xFF)
        bytes[offset + 2] = UInt8(value >> 8 & 0xFF)
        bytes[offset + 3] = UInt8(value & 0xFF)
    }

    /// Calls `body(type, offset)` for each chunk of `packet` whose 4-byte header fits, walking
    /// by the (padded) chunk length; stops at a length under 4, as a receiver must.
    static func forEachChunk(_ packet: [UInt8], _ body: (UInt8, Int, Int) -> Void) {
        var offset = headerLength
        while offset + 4 <= packet.count {
            let length = Int(packet[offset + 2]) << 8 | Int(packet[offset + 3])
            guard length >= 4 else { return }
            body(packet[offset], offset, length)
            offset += (length + 3) & ~3
        }
    }

    /// Makes the stream sequence number of an ordered DATA chunk (RFC 9260 §3.3.1: stream at
    /// +8, SSN at +10, U flag 0x04) absolute (`toVictim`: adds the stream's entry in `next`)
    /// or relative (subtracts it), and moves that entry past it when the chunk ends a message
    /// (E flag 0x01).
    static func relocateSSN(_ packet: inout [UInt8], chunk: Int, length: Int, next: inout [UInt16: UInt16], toVictim: Bool) {
        guard length >= 16, chunk + 12 <= packet.count, packet[chunk + 1] & 0x04 == 0 else { return }
        let stream = UInt16(packet[chunk + 8]) << 8 | UInt16(packet[chunk + 9])
        let raw = UInt16(packet[chunk + 10]) << 8 | UInt16(packet[chunk + 11])
        let base = next[stream] ?? 0
        let absolute = toVictim ? raw &+ base : raw
        let written = toVictim ? absolute : raw &- base
        packet[chunk + 10] = UInt8(written >> 8)
        packet[chunk + 11] = UInt8(written & 0xFF)
        if packet[chunk + 1] & 0x01 != 0, absolute &- base < 0x8000 { next[stream] = absolute &+ 1 }
    }

    /// TSNs of the DATA chunks in a packet an association sent.
    static func dataTSNs(_ packet: [UInt8]) -> [UInt32] {
        var tsns: [UInt32] = []
        forEachChunk(packet) { type, offset, length in
            if type == data, length >= 16, offset + 8 <= packet.count { tsns.append(read32(packet, offset + 4)) }
        }
        return tsns
    }

    /// (initiate tag, initial TSN) of the first INIT or INIT-ACK chunk in a packet.
    static func initiation(_ packet: [UInt8]) -> (tag: UInt32, initialTSN: UInt32)? {
        var found: (UInt32, UInt32)?
        forEachChunk(packet) { type, offset, length in
            guard found == nil, type == initChunk || type == initAck, length >= 20, offset + 20 <= packet.count else { return }
            found = (read32(packet, offset + 4), read32(packet, offset + 16))
        }
        return found
    }

    // MARK: - CRC32c (RFC 9260 Appendix A)

    /// Castagnoli, reflected polynomial 0x82F63B78, one table lookup per byte.
    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    /// Writes the checksum into bytes 8–11 (least significant byte first, as the appendix's
    /// reference code stores it).
    static func withChecksum(_ packet: [UInt8]) -> [UInt8] {
        guard packet.count >= headerLength else { return packet }
        var packet = packet
        packet[8..<12] = [0, 0, 0, 0]
        let crc = crc32c(packet)
        packet[8..<12] = [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 24)]
        return packet
    }

    static func hasValidChecksum(_ packet: [UInt8]) -> Bool {
        packet.count >= headerLength && withChecksum(packet) == packet
    }
}
