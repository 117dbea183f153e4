// SPDX-License-Identifier: Apache-2.0

/// SDES: Source Description (RFC 3550 §6.5), PT 202. Each chunk names one SSRC with items;
/// CNAME is required in every compound packet (§6.1) and binds a participant's streams
/// together (our `a=ssrc:… cname:` in SDP says the same).
public struct RTCPSourceDescription: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        /// 1 CNAME, 2 NAME, 3 EMAIL, 4 PHONE, 5 LOC, 6 TOOL, 7 NOTE, 8 PRIV (§6.5.1–6.5.8).
        public var type: UInt8
        /// Up to 255 bytes (UTF-8 text for all but PRIV).
        public var value: [UInt8]

        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }

        public static func cname(_ text: String) -> Item { Item(type: 1, value: Array(text.utf8)) }

        public var text: String { String(decoding: value, as: UTF8.self) }
    }

    public struct Chunk: Sendable, Hashable {
        public var ssrc: UInt32
        public var items: [Item]

        public init(ssrc: UInt32, items: [Item]) {
            self.ssrc = ssrc
            self.items = items
        }

        public var cname: String? { items.first { $0.type == 1 }?.text }

        /// SSRC, items, then one to four null bytes that end the list and align the chunk.
        var length: Int {
            let itemBytes = items.reduce(0) { $0 + 2 + $1.value.count }
            return 4 + itemBytes + (4 - itemBytes % 4)
        }
    }

    public var chunks: [Chunk]

    public init(chunks: [Chunk]) {
        self.chunks = chunks
    }

    public init(ssrc: UInt32, cname: String) {
        chunks = [Chunk(ssrc: ssrc, items: [.cname(cname)])]
    }

    init(header: RTCPHeader, body: ArraySlice<UInt8>, offset: Int) throws(RTCPError) {
        chunks = []
        var index = body.startIndex
        for _ in 0..<header.count {
            let chunkStart = index
            guard body.endIndex - index >= 4 else {
                throw .malformedSDES(offset: offset + 4 + (index - body.startIndex), reason: "chunk SSRC is cut off")
            }
            var chunk = Chunk(ssrc: body.readBE32(index), items: [])
            index += 4
            while true {
                guard index < body.endIndex else {
                    throw .malformedSDES(
                        offset: offset + 4 + (chunkStart - body.startIndex), reason: "chunk has no terminating null item")
                }
                let type = body[index]
                if type == 0 {
                    // The null item ends the list; skip to the next 32-bit boundary.
                    let consumed = index + 1 - body.startIndex
                    index = body.startIndex + (consumed + 3) / 4 * 4
                    guard index <= body.endIndex else {
                        throw .malformedSDES(offset: offset + 4 + consumed, reason: "chunk padding runs past the packet")
                    }
                    break
                }
                guard index + 2 <= body.endIndex, index + 2 + Int(body[index + 1]) <= body.endIndex else {
                    throw .malformedSDES(
                        offset: offset + 4 + (index - body.startIndex), reason: "item type \(type) runs past the packet")
                }
                let length = Int(body[index + 1])
                chunk.items.append(Item(type: type, value: Array(body[(index + 2)..<(index + 2 + length)])))
                index += 2 + length
            }
            chunks.append(chunk)
        }
    }

    var bodyLength: Int { chunks.reduce(0) { $0 + $1.length } }

    func validate() throws(RTCPError) {
        guard chunks.count <= 31 else { throw .fieldOutOfRange("SDES has \(chunks.count) chunks; at most 31 fit") }
        for chunk in chunks {
            for item in chunk.items {
                guard item.type != 0, item.value.count <= 255 else {
                    throw .fieldOutOfRange("SDES item type \(item.type) with \(item.value.count) bytes cannot be encoded")
                }
            }
        }
    }

    func writeBody(_ writer: inout BufferWriter) {
        for chunk in chunks {
            writer.be32(chunk.ssrc)
            var itemBytes = 0
            for item in chunk.items {
                writer.u8(item.type)
                writer.u8(UInt8(item.value.count))
                writer.bytes(item.value)
                itemBytes += 2 + item.value.count
            }
            writer.zeros(4 - itemBytes % 4)
        }
    }
}
