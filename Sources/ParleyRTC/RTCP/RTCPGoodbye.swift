// SPDX-License-Identifier: Apache-2.0

/// BYE (RFC 3550 §6.6), PT 203: the listed sources are leaving, with an optional reason.
public struct RTCPGoodbye: Sendable, Hashable {
    public var sources: [UInt32]
    /// At most 255 bytes of UTF-8.
    public var reason: [UInt8]?

    public init(sources: [UInt32], reason: String? = nil) {
        self.sources = sources
        self.reason = reason.map { Array($0.utf8) }
    }

    public var reasonText: String? { reason.map { String(decoding: $0, as: UTF8.self) } }

    init(header: RTCPHeader, body: ArraySlice<UInt8>, offset: Int) throws(RTCPError) {
        let needed = 4 * Int(header.count)
        guard body.count >= needed else {
            throw .bodyTooShort(.goodbye, offset: offset, needed: needed, available: body.count)
        }
        let start = body.startIndex
        sources = (0..<Int(header.count)).map { body.readBE32(start + 4 * $0) }
        let reasonStart = start + needed
        if reasonStart < body.endIndex {
            let length = Int(body[reasonStart])
            guard reasonStart + 1 + length <= body.endIndex else { throw .malformedBYE(offset: offset) }
            reason = Array(body[(reasonStart + 1)..<(reasonStart + 1 + length)])
        } else {
            reason = nil
        }
    }

    var bodyLength: Int {
        guard let reason else { return 4 * sources.count }
        return 4 * sources.count + (1 + reason.count + 3) / 4 * 4
    }

    func validate() throws(RTCPError) {
        guard sources.count <= 31 else { throw .fieldOutOfRange("BYE has \(sources.count) sources; at most 31 fit") }
        guard (reason?.count ?? 0) <= 255 else { throw .fieldOutOfRange("BYE reason is longer than 255 bytes") }
    }

    func writeBody(_ writer: inout BufferWriter) {
        for source in sources { writer.be32(source) }
        if let reason {
            writer.u8(UInt8(reason.count))
            writer.bytes(reason)
            writer.zeros((1 + reason.count + 3) / 4 * 4 - 1 - reason.count)
        }
    }
}
