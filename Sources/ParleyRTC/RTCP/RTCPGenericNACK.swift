// SPDX-License-Identifier: Apache-2.0

/// Generic NACK (RFC 4585 §6.2.1): RTPFB (PT 205) with FMT 1. Each FCI entry names a lost
/// packet (PID) and, in a bitmask (BLP), which of the 16 following packets are lost too.
public struct RTCPGenericNACK: Sendable, Hashable {
    public static let format: UInt8 = 1

    public struct Entry: Sendable, Hashable {
        public var packetID: UInt16
        /// Bit i set: packet `packetID + i + 1` is lost as well.
        public var lostBitmask: UInt16

        public init(packetID: UInt16, lostBitmask: UInt16 = 0) {
            self.packetID = packetID
            self.lostBitmask = lostBitmask
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    /// Packs lost sequence numbers into PID+BLP entries, in wrap-aware order starting from
    /// the oldest (duplicates ignored).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lost: [UInt16]) {
        var sorted: [UInt16] = []
        if let first = lost.first {
            // Order by distance from the first one, so a run across 65535 → 0 stays together.
            sorted = Array(Set(lost)).sorted { RTPSequence.distance(from: first, to: $0) < RTPSequence.distance(from: first, to: $1) }
        }
        var entries: [Entry] = []
        for sequence in sorted {
            if var last = entries.last {
                let delta = sequence &- last.packetID
                if delta >= 1 && delta <= 16 {
                    last.lostBitmask |= 1 << (delta - 1)
                    entries[entries.count - 1] = last
                    continue
                }
            }
            entries.append(Entry(packetID: sequence))
        }
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, entries: entries)
    }

    /// Every sequence number the entries declare lost, in order.
    public var lostSequenceNumbers: [UInt16] {
        entries.flatMap { entry -> [UInt16] in
            var out = [entry.packetID]
            for bit in 0..<16 where entry.lostBitmask & (1 << bit) != 0 {
                out.append(entry.packetID &+ UInt16(bit + 1))
            }
            return out
        }
    }

    init(body: ArraySlice<UInt8>, offset: Int) throws(RTCPError) {
        guard body.count >= 8 else {
            throw .bodyTooShort(.transportFeedback, offset: offset, needed: 8, available: body.count)
        }
        let start = body.startIndex
        senderSSRC = body.readBE32(start)
        mediaSSRC = body.readBE32(start + 4)
        // FCI entries are 4 bytes; a trailing partial entry is malformed.
        guard (body.count - 8) % 4 == 0 else {
            throw .bodyTooShort(.transportFeedback, offset: offset, needed: 8 + (body.count - 8 + 3) / 4 * 4, available: body.count)
        }
        entries = stride(from: start + 8, to: body.endIndex, by: 4).map {
            Entry(packetID: body.readBE16($0), lostBitmask: body.readBE16($0 + 2))
        }
    }

    var bodyLength: Int { 8 + 4 * entries.count }

    func writeBody(_ writer: inout BufferWriter) {
        writer.be32(senderSSRC)
        writer.be32(mediaSSRC)
        for entry in entries {
            writer.be16(entry.packetID)
            writer.be16(entry.lostBitmask)
        }
    }
}
