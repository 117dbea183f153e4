// SPDX-License-Identifier: Apache-2.0

/// PLI: Picture Loss Indication (RFC 4585 §6.3.1): PSFB (PT 206) with FMT 1 and no FCI. The
/// SFU sends it when a subscriber needs a keyframe (livekit-protocol.md §7).
public struct RTCPPictureLossIndication: Sendable, Hashable {
    public static let format: UInt8 = 1

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    init(body: ArraySlice<UInt8>, offset: Int) throws(RTCPError) {
        guard body.count >= 8 else {
            throw .bodyTooShort(.payloadFeedback, offset: offset, needed: 8, available: body.count)
        }
        senderSSRC = body.readBE32(body.startIndex)
        mediaSSRC = body.readBE32(body.startIndex + 4)
    }

    var bodyLength: Int { 8 }

    func writeBody(_ writer: inout BufferWriter) {
        writer.be32(senderSSRC)
        writer.be32(mediaSSRC)
    }
}
