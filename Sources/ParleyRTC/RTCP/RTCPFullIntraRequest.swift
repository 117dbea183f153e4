// SPDX-License-Identifier: Apache-2.0

/// FIR: Full Intra Request (RFC 5104 §4.3.1): PSFB (PT 206) with FMT 4. Unlike PLI it names
/// the target SSRC in each FCI entry with a command sequence number, so retransmitted
/// requests can be told apart (§4.3.1.2); the media SSRC field is 0.
public struct RTCPFullIntraRequest: Sendable, Hashable {
    public static let format: UInt8 = 4

    public struct Entry: Sendable, Hashable {
        public var ssrc: UInt32
        public var sequenceNumber: UInt8

        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    init(body: ArraySlice<UInt8>, offset: Int) throws(RTCPError) {
        guard body.count >= 8, (body.count - 8) % 8 == 0 else {
            throw .bodyTooShort(.payloadFeedback, offset: offset, needed: max(8, 8 + (body.count - 8 + 7) / 8 * 8), available: body.count)
        }
        let start = body.startIndex
        senderSSRC = body.readBE32(start)
        mediaSSRC = body.readBE32(start + 4)
        entries = stride(from: start + 8, to: body.endIndex, by: 8).map {
            Entry(ssrc: body.readBE32($0), sequenceNumber: body[$0 + 4])
        }
    }

    var bodyLength: Int { 8 + 8 * entries.count }

    func writeBody(_ writer: inout BufferWriter) {
        writer.be32(senderSSRC)
        writer.be32(mediaSSRC)
        for entry in entries {
            writer.be32(entry.ssrc)
            writer.u8(entry.sequenceNumber)
            writer.zeros(3)
        }
    }
}
