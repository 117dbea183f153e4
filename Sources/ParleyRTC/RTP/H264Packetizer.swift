// SPDX-License-Identifier: Apache-2.0

/// Splits an H.264 access unit (Annex B: NAL units behind 00 00 01 / 00 00 00 01 start
/// codes) into RTP payloads for packetization-mode 1 (RFC 6184 §6.3, non-interleaved):
///
/// - a NAL unit that fits `mtu` goes alone (single NAL unit packet, §5.6), unless
/// - consecutive small ones fit together: STAP-A (§5.7.1), e.g. SPS + PPS + SEI;
/// - a NAL unit larger than `mtu` is cut into FU-As (§5.8), so a frame or NAL unit of any
///   size (past the 64 KB a STAP-A size field could carry) goes out.
///
/// The RTP marker bit goes on the last packet of the access unit (§5.1). Access unit
/// delimiters (type 9) are dropped, as libwebrtc does: they carry nothing RTP needs.
public struct H264Packetizer: Sendable {
    public let mtu: Int
    /// NAL unit types (RFC 6184 §5.4, H.264 Table 7-1).
    public static let stapA: UInt8 = 24
    public static let fuA: UInt8 = 28
    static let idr: UInt8 = 5
    static let sps: UInt8 = 7
    static let pps: UInt8 = 8
    static let accessUnitDelimiter: UInt8 = 9

    public init(mtu: Int = 1200) {
        self.mtu = mtu
    }

    /// The NAL units of an Annex B bitstream, without start codes (H.264 Annex B.2: trailing
    /// zero bytes before a start code belong to it, not to the NAL unit).
    public static func nalUnits(annexB bytes: [UInt8]) throws(RTPVideoPayloadError) -> [ArraySlice<UInt8>] {
        guard let first = nextStartCode(bytes, from: 0), bytes[0..<first.start].allSatisfy({ $0 == 0 }) else {
            throw .h264NotAnnexB
        }
        var units: [ArraySlice<UInt8>] = []
        var start = first.end
        while start < bytes.count {
            let next = nextStartCode(bytes, from: start)
            var end = next?.start ?? bytes.count
            while end > start && bytes[end - 1] == 0 { end -= 1 }
            if end > start { units.append(bytes[start..<end]) }
            guard let next else { break }
            start = next.end
        }
        return units
    }

    /// The next 00 00 01 at or after `from`: where its zeros start and where the NAL unit after it begins.
    private static func nextStartCode(_ bytes: [UInt8], from: Int) -> (start: Int, end: Int)? {
        var i = from
        while i + 2 < bytes.count {
            if bytes[i + 2] > 1 {
                i += 3
            } else if bytes[i] == 0 && bytes[i + 1] == 0 && bytes[i + 2] == 1 {
                return (i, i + 3)
            } else {
                i += 1
            }
        }
        return nil
    }

    /// Whether an Annex B access unit holds an IDR slice (a key frame).
    public static func isKeyframe(annexB bytes: [UInt8]) -> Bool {
        guard let units = try? nalUnits(annexB: bytes) else { return false }
        return units.contains { $0.first.map { $0 & 0x1F } == idr }
    }

    /// The payloads of one access unit, in order; the last one gets the marker bit.
    public func payloads(forAnnexB frame: [UInt8]) throws(RTPVideoPayloadError) -> [[UInt8]] {
        guard !frame.isEmpty else { throw .empty("H.264 access unit") }
        return try payloads(nalUnits: try Self.nalUnits(annexB: frame))
    }

    /// The payloads for NAL units given without start codes. A unit with the forbidden bit
    /// set, or of type 0 or 24–31 (unspecified in H.264, and the RTP aggregation and
    /// fragmentation types here: sent as is, a receiver would misread it), is rejected.
    public func payloads(nalUnits: [ArraySlice<UInt8>]) throws(RTPVideoPayloadError) -> [[UInt8]] {
        // An FU-A needs its two header bytes and one byte of the NAL unit.
        guard mtu >= 3 else { throw .mtuTooSmall(mtu: mtu, minimum: 3) }
        for unit in nalUnits {
            guard let header = unit.first else { continue }
            guard header & 0x80 == 0 else { throw .h264ForbiddenBit }
            let type = header & 0x1F
            guard type != 0 && type < 24 else { throw .h264UndefinedNALType(type) }
        }
        var out: [[UInt8]] = []
        var pending: [ArraySlice<UInt8>] = []
        var pendingSize = 1  // the STAP-A NAL header

        func flush() {
            if pending.count == 1 {
                out.append(Array(pending[0]))
            } else if pending.count > 1 {
                // §5.7.1: F is the OR of the aggregated F bits, NRI their maximum.
                var header: UInt8 = H264Packetizer.stapA
                var nri: UInt8 = 0
                for unit in pending {
                    header |= unit[unit.startIndex] & 0x80
                    nri = max(nri, unit[unit.startIndex] & 0x60)
                }
                var payload: [UInt8] = [header | nri]
                payload.reserveCapacity(pendingSize)
                for unit in pending {
                    payload.appendBE16(UInt16(unit.count))
                    payload += unit
                }
                out.append(payload)
            }
            pending.removeAll(keepingCapacity: true)
            pendingSize = 1
        }

        for unit in nalUnits {
            guard let header = unit.first else { continue }
            let type = header & 0x1F
            if type == Self.accessUnitDelimiter { continue }
            if unit.count > mtu {
                flush()
                appendFragments(unit, to: &out)
                continue
            }
            // A STAP-A unit costs its 2-byte size; one that does not fit starts a new aggregate.
            if pendingSize + 2 + unit.count > mtu || unit.count > 0xFFFF { flush() }
            pending.append(unit)
            pendingSize += 2 + unit.count
        }
        flush()
        guard !out.isEmpty else { throw .empty("H.264 access unit (no NAL units)") }
        return out
    }

    /// FU-A fragments of one NAL unit (§5.8): the FU indicator keeps F and NRI with type 28,
    /// the FU header has S on the first, E on the last, and the original type.
    private func appendFragments(_ unit: ArraySlice<UInt8>, to out: inout [[UInt8]]) {
        let header = unit[unit.startIndex]
        let indicator = header & 0xE0 | Self.fuA
        let type = header & 0x1F
        let room = mtu - 2
        var offset = unit.startIndex + 1
        while offset < unit.endIndex {
            let end = min(unit.endIndex, offset + room)
            var fuHeader = type
            if offset == unit.startIndex + 1 { fuHeader |= 0x80 }
            if end == unit.endIndex { fuHeader |= 0x40 }
            var payload: [UInt8] = [indicator, fuHeader]
            payload.reserveCapacity(2 + end - offset)
            payload += unit[offset..<end]
            out.append(payload)
            offset = end
        }
    }

    /// RTP packets for one access unit: `header` supplies SSRC, payload type and the next
    /// sequence number (advanced past the frame); every packet gets `timestamp`, the last the marker.
    public func packets(forAnnexB frame: [UInt8], timestamp: UInt32, header: inout RTPHeader) throws(RTPVideoPayloadError)
        -> [RTPPacket]
    {
        RTPVideoPacketization.packets(try payloads(forAnnexB: frame), timestamp: timestamp, header: &header)
    }
}
