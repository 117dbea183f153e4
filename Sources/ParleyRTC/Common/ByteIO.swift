// SPDX-License-Identifier: Apache-2.0

// Big-endian ("network byte order", RFC 791 appendix B) reads and writes shared by the STUN,
// RTP and RTCP codecs. Reads go through the collection's own (checked) subscript: every
// parser checks lengths first and reports a precise error, so a missed check traps instead
// of reading past the packet.

extension RandomAccessCollection where Element == UInt8, Index == Int {
    @inlinable
    func readBE16(_ at: Int) -> UInt16 {
        UInt16(self[at]) << 8 | UInt16(self[at + 1])
    }

    @inlinable
    func readBE24(_ at: Int) -> UInt32 {
        UInt32(self[at]) << 16 | UInt32(self[at + 1]) << 8 | UInt32(self[at + 2])
    }

    @inlinable
    func readBE32(_ at: Int) -> UInt32 {
        UInt32(self[at]) << 24 | UInt32(self[at + 1]) << 16 | UInt32(self[at + 2]) << 8 | UInt32(self[at + 3])
    }

    @inlinable
    func readBE64(_ at: Int) -> UInt64 {
        UInt64(readBE32(at)) << 32 | UInt64(readBE32(at + 4))
    }
}

extension Array where Element == UInt8 {
    @inlinable
    mutating func appendBE16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    mutating func appendBE24(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    mutating func appendBE32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    mutating func appendBE64(_ value: UInt64) {
        appendBE32(UInt32(truncatingIfNeeded: value >> 32))
        appendBE32(UInt32(truncatingIfNeeded: value))
    }

    @inlinable
    mutating func setBE16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    @inlinable
    mutating func setBE32(_ value: UInt32, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 24)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        self[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 3] = UInt8(truncatingIfNeeded: value)
    }
}

/// A cursor that writes into memory the caller owns (a packet buffer from a pool), so the
/// RTP/RTCP serializers need no allocation on the send path. Every write is bounds-checked
/// against the buffer; the serializers check the total size up front and report
/// `bufferTooSmall`, so the checks here are a backstop that traps.
@usableFromInline
struct BufferWriter {
    @usableFromInline let buffer: UnsafeMutableRawBufferPointer
    @usableFromInline var offset: Int

    @inlinable
    init(_ buffer: UnsafeMutableRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    @inlinable
    mutating func u8(_ value: UInt8) {
        precondition(offset < buffer.count, "BufferWriter overflow")
        buffer[offset] = value
        offset += 1
    }

    @inlinable
    mutating func be16(_ value: UInt16) {
        u8(UInt8(truncatingIfNeeded: value >> 8))
        u8(UInt8(truncatingIfNeeded: value))
    }

    @inlinable
    mutating func be32(_ value: UInt32) {
        be16(UInt16(truncatingIfNeeded: value >> 16))
        be16(UInt16(truncatingIfNeeded: value))
    }

    @inlinable
    mutating func bytes(_ source: some Collection<UInt8>) {
        precondition(offset + source.count <= buffer.count, "BufferWriter overflow")
        for byte in source {
            buffer[offset] = byte
            offset += 1
        }
    }

    @inlinable
    mutating func zeros(_ count: Int) {
        for _ in 0..<count { u8(0) }
    }
}

/// Lower-case hex of some bytes, for descriptions and test diagnostics.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
