// SPDX-License-Identifier: Apache-2.0

/// Reassembles H.264 access units from packetization-mode 1 RTP payloads (RFC 6184 §5.6–5.8):
/// single NAL unit packets, STAP-A and FU-A, into an Annex B bitstream (a 00 00 00 01 start
/// code before every NAL unit), emitted on the marker bit (§5.1).
///
/// The access unit is a key frame when it holds an IDR slice (type 5). Loss (a gap in
/// sequence numbers, an FU-A without its start) drops the access unit and every non-IDR one
/// after it until an IDR completes: `.frameDropped` says so, and the caller should send a
/// PLI. STAP-B, MTAP and FU-B (interleaved mode) are rejected. Not thread-safe.
public struct H264Depacketizer: Sendable {
    private var assembly: RTPFrameAssembly
    /// Inside an FU-A: its start came and its end has not.
    private var inFragment = false
    static let startCode: [UInt8] = [0, 0, 0, 1]

    public init(requireKeyframeFirst: Bool = true) {
        assembly = RTPFrameAssembly(requireKeyframeFirst: requireKeyframeFirst)
    }

    public var stats: RTPDepacketizerStats { assembly.stats }
    public var needsKeyframe: Bool { assembly.awaitingKeyframe }

    /// Checks a payload's structure before any state changes (so a malformed packet counts
    /// as lost, not as half a frame).
    private static func validate(_ payload: ArraySlice<UInt8>) throws(RTPVideoPayloadError) {
        guard let header = payload.first else { throw .empty("H.264 RTP payload") }
        guard header & 0x80 == 0 else { throw .h264ForbiddenBit }
        let type = header & 0x1F
        switch type {
        case 1...23:
            return
        case H264Packetizer.stapA:
            var index = payload.startIndex + 1
            guard index < payload.endIndex else {
                throw .h264STAPATruncated(offset: 1, size: 0, available: 0)
            }
            while index < payload.endIndex {
                guard index + 2 <= payload.endIndex else {
                    throw .h264STAPATruncated(offset: index - payload.startIndex, size: 2, available: payload.endIndex - index)
                }
                let size = Int(payload.readBE16(index))
                let available = payload.endIndex - index - 2
                guard size > 0, size <= available else {
                    throw .h264STAPATruncated(offset: index - payload.startIndex, size: size, available: available)
                }
                guard payload[index + 2] & 0x80 == 0 else { throw .h264ForbiddenBit }
                index += 2 + size
            }
        case H264Packetizer.fuA:
            guard payload.count >= 3 else { throw .h264MalformedFUA("is \(payload.count) bytes; it needs at least 3") }
            let fuHeader = payload[payload.startIndex + 1]
            guard fuHeader & 0xC0 != 0xC0 else { throw .h264MalformedFUA("sets both the start and end bits") }
        case 25, 26, 27, 29:
            throw .h264UnsupportedNALType(type)
        default:
            throw .h264UndefinedNALType(type)
        }
    }

    /// Feeds one packet (in sequence order). Throws, without changing state, on a malformed
    /// payload; the packet then counts as lost when the next one comes.
    public mutating func push(
        payload: ArraySlice<UInt8>, sequenceNumber: UInt16, timestamp: UInt32, marker: Bool
    ) throws(RTPVideoPayloadError) -> [RTPDepacketizerEvent] {
        do {
            try Self.validate(payload)
        } catch {
            assembly.stats.malformed += 1
            throw error
        }
        var events: [RTPDepacketizerEvent] = []
        guard assembly.begin(sequence: sequenceNumber, timestamp: timestamp, events: &events) else { return events }
        // Nothing of this access unit yet: no FU-A of it can be open.
        if !assembly.started { inFragment = false }
        let header = payload[payload.startIndex]
        switch header & 0x1F {
        case H264Packetizer.stapA:
            var index = payload.startIndex + 1
            while index < payload.endIndex {
                let size = Int(payload.readBE16(index))
                appendUnit(payload[(index + 2)..<(index + 2 + size)])
                index += 2 + size
            }
        case H264Packetizer.fuA:
            let fuHeader = payload[payload.startIndex + 1]
            let fragment = payload[(payload.startIndex + 2)...]
            if fuHeader & 0x80 != 0 {
                // Start: rebuild the NAL header from the indicator's F/NRI and the header's type.
                if inFragment { assembly.markMissingStart() }  // the previous FU-A's end is missing
                appendUnit(CollectionOfOne(header & 0xE0 | fuHeader & 0x1F), more: fragment)
                inFragment = true
            } else if inFragment {
                assembly.data += fragment
            } else {
                // A middle or end fragment whose start was lost.
                assembly.markMissingStart()
            }
            if fuHeader & 0x40 != 0 { inFragment = false }
        default:
            appendUnit(payload)
        }
        if marker { inFragment = false }
        assembly.finish(marker: marker, events: &events)
        return events
    }

    public mutating func push(_ view: RTPPacketView) throws(RTPVideoPayloadError) -> [RTPDepacketizerEvent] {
        try push(payload: view.payload, sequenceNumber: view.sequenceNumber, timestamp: view.timestamp, marker: view.marker)
    }

    /// Appends one NAL unit (its header, then `more`) behind a start code.
    private mutating func appendUnit<C: Collection>(_ unit: C, more: ArraySlice<UInt8> = []) where C.Element == UInt8 {
        guard let first = unit.first else { return }
        if first & 0x1F == H264Packetizer.idr { assembly.keyframe = true }
        assembly.started = true
        assembly.data += H264Depacketizer.startCode
        assembly.data += unit
        assembly.data += more
    }
}
