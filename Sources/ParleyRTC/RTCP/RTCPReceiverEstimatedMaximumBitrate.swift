// SPDX-License-Identifier: Apache-2.0

/// REMB (draft-alvestrand-rmcat-remb-03 §2.2): PSFB (PT 206) with FMT 15 and the ASCII
/// identifier "REMB": the receiver's estimate of the total bitrate it can take for the listed
/// SSRCs. LiveKit uses it for video with abs-send-time; audio agents only need to parse it.
///
/// ```
/// | sender SSRC | media SSRC = 0 | 'R' 'E' 'M' 'B' | num SSRC (8) | exp (6) | mantissa (18) | SSRCs… |
/// ```
public struct RTCPReceiverEstimatedMaximumBitrate: Sendable, Hashable {
    public static let format: UInt8 = 15
    static let identifier: [UInt8] = Array("REMB".utf8)

    /// The largest bitrate the 18-bit mantissa and 6-bit exponent can carry exactly within 64 bits.
    public static let maximumBitrate: UInt64 = 0x3_FFFF << 46

    public var senderSSRC: UInt32
    /// Bits per second. Written as mantissa × 2^exp, so large values lose precision.
    public var bitrate: UInt64
    public var ssrcs: [UInt32]

    public init(senderSSRC: UInt32, bitrate: UInt64, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.bitrate = bitrate
        self.ssrcs = ssrcs
    }

    /// Whether a PSFB FMT 15 body is a REMB (other applications share FMT 15, RFC 4585 §6.4 AFB).
    static func matches(_ body: ArraySlice<UInt8>) -> Bool {
        body.count >= 12 && Array(body[(body.startIndex + 8)..<(body.startIndex + 12)]) == identifier
    }

    init(body: ArraySlice<UInt8>, offset: Int) throws(RTCPError) {
        let start = body.startIndex
        guard body.count >= 16 else {
            throw .bodyTooShort(.payloadFeedback, offset: offset, needed: 16, available: body.count)
        }
        let count = Int(body[start + 12])
        guard body.count >= 16 + 4 * count else {
            throw .bodyTooShort(.payloadFeedback, offset: offset, needed: 16 + 4 * count, available: body.count)
        }
        senderSSRC = body.readBE32(start)
        let exponent = body[start + 13] >> 2
        let mantissa = UInt64(body.readBE24(start + 13) & 0x3_FFFF)
        // A 6-bit exponent can shift the 18-bit mantissa past 64 bits: saturate at the largest
        // value that still encodes exactly (0x3FFFF × 2^46), so re-encoding is stable.
        let bits = mantissa == 0 ? 0 : 64 - mantissa.leadingZeroBitCount
        bitrate = bits + Int(exponent) > 64 ? RTCPReceiverEstimatedMaximumBitrate.maximumBitrate : mantissa << UInt64(exponent)
        ssrcs = (0..<count).map { body.readBE32(start + 16 + 4 * $0) }
    }

    /// Mantissa (18 bits) and exponent (6 bits) with mantissa × 2^exp ≤ bitrate, as close as it gets.
    var encodedBitrate: (exponent: UInt8, mantissa: UInt32) {
        var exponent: UInt8 = 0
        var mantissa = min(bitrate, RTCPReceiverEstimatedMaximumBitrate.maximumBitrate)
        while mantissa > 0x3_FFFF {
            mantissa >>= 1
            exponent += 1
        }
        return (exponent, UInt32(mantissa))
    }

    var bodyLength: Int { 16 + 4 * ssrcs.count }

    func validate() throws(RTCPError) {
        guard ssrcs.count <= 255 else { throw .fieldOutOfRange("REMB lists \(ssrcs.count) SSRCs; at most 255 fit") }
    }

    func writeBody(_ writer: inout BufferWriter) {
        writer.be32(senderSSRC)
        writer.be32(0)
        writer.bytes(RTCPReceiverEstimatedMaximumBitrate.identifier)
        writer.u8(UInt8(ssrcs.count))
        let (exponent, mantissa) = encodedBitrate
        writer.u8(exponent << 2 | UInt8(truncatingIfNeeded: mantissa >> 16))
        writer.be16(UInt16(truncatingIfNeeded: mantissa))
        for ssrc in ssrcs { writer.be32(ssrc) }
    }
}
