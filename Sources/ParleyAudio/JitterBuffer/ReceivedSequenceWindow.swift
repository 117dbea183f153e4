// SPDX-License-Identifier: Apache-2.0

/// Which of the last 1024 sequence numbers have been received: tells a duplicate from a late
/// packet after the original has left the buffer (a replay window, as in RFC 3711 §3.3.2,
/// used here for accounting rather than security). Fixed storage: 16 words.
struct ReceivedSequenceWindow {
    static let size: Int64 = 1_024
    enum Check { case fresh, duplicate, tooOld }

    private var bits = [UInt64](repeating: 0, count: Int(size / 64))
    private(set) var highest: Int64?

    /// Marks `seq` received and tells whether it was already.
    mutating func mark(_ seq: Int64) -> Check {
        guard let h = highest else {
            highest = seq
            set(seq)
            return .fresh
        }
        if seq > h {
            if seq - h >= Self.size {
                for i in bits.indices { bits[i] = 0 }
            } else {
                var s = h + 1
                while s <= seq { clear(s); s += 1 }
            }
            highest = seq
            set(seq)
            return .fresh
        }
        if h - seq >= Self.size { return .tooOld }
        if isSet(seq) { return .duplicate }
        set(seq)
        return .fresh
    }

    mutating func reset() {
        for i in bits.indices { bits[i] = 0 }
        highest = nil
    }

    private func position(_ seq: Int64) -> (Int, UInt64) {
        let bit = Int(seq & (Self.size - 1))
        return (bit >> 6, UInt64(1) << UInt64(bit & 63))
    }

    private mutating func set(_ seq: Int64) { let (w, m) = position(seq); bits[w] |= m }
    private mutating func clear(_ seq: Int64) { let (w, m) = position(seq); bits[w] &= ~m }
    private func isSet(_ seq: Int64) -> Bool { let (w, m) = position(seq); return bits[w] & m != 0 }
}
