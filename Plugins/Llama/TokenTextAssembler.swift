// SPDX-License-Identifier: Apache-2.0

/// Turns the byte pieces of streamed tokens into text.
///
/// A token is a run of bytes, not of characters: byte-level BPE vocabularies (SmolLM2, Qwen)
/// split a multi-byte UTF-8 character such as "é" or an emoji across two or more tokens.
/// Decoding each piece on its own would produce U+FFFD replacement characters, so bytes that
/// end in the middle of a character are held back until the rest of it arrives (RFC 3629 §3:
/// the lead byte says how many continuation bytes follow).
struct TokenTextAssembler {
    private var pending: [UInt8] = []

    init() { pending.reserveCapacity(16) }

    /// Adds a token's bytes; returns the text that is now complete (possibly empty).
    mutating func add<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        pending.append(contentsOf: bytes)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is left at the end of the reply (an invalid tail decodes as U+FFFD).
    mutating func finish() -> String {
        defer { pending.removeAll(keepingCapacity: true) }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// How many leading bytes end on a character boundary: all of them, unless the last
    /// (up to 3) bytes start a sequence whose continuation bytes have not arrived yet.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        var continuation = 0
        // Walk back over continuation bytes (10xxxxxx) to the lead byte, at most 3 of them.
        while i >= 0, continuation < 3, bytes[i] & 0b1100_0000 == 0b1000_0000 {
            continuation += 1
            i -= 1
        }
        guard i >= 0 else { return bytes.count }   // only continuation bytes: invalid, let it through
        let lead = bytes[i]
        let needed: Int
        switch lead {
        case 0b1100_0000...0b1101_1111: needed = 1
        case 0b1110_0000...0b1110_1111: needed = 2
        case 0b1111_0000...0b1111_0111: needed = 3
        default: return bytes.count   // ASCII or an invalid lead byte: nothing to wait for
        }
        return continuation < needed ? i : bytes.count
    }
}
