// SPDX-License-Identifier: Apache-2.0

/// Reassembles VP8 frames from RTP payloads (RFC 7741 §4): strips each payload descriptor,
/// joins the packets of one RTP timestamp, and emits the frame on the marker bit.
///
/// A frame starts with the packet that has S = 1 and PID = 0 (§4.2); its first byte tells a
/// key frame (§4.3). Loss (a gap in sequence numbers) drops the frame it hit and every delta
/// frame after it until a key frame: `.frameDropped` says so, and the caller should send a
/// PLI. Not thread-safe.
public struct VP8Depacketizer: Sendable {
    private var assembly: RTPFrameAssembly
    /// The last descriptor seen (picture id, temporal layer…), for callers that want them.
    public private(set) var lastDescriptor: VP8PayloadDescriptor?

    /// `requireKeyframeFirst`: drop delta frames until the first key frame, as a decoder
    /// joining mid-stream must.
    public init(requireKeyframeFirst: Bool = true) {
        assembly = RTPFrameAssembly(requireKeyframeFirst: requireKeyframeFirst)
    }

    public var stats: RTPDepacketizerStats { assembly.stats }
    /// A loss happened and no key frame has completed since.
    public var needsKeyframe: Bool { assembly.awaitingKeyframe }

    /// Feeds one packet (in sequence order). Throws, without changing state, on a malformed
    /// payload; the packet then counts as lost when the next one comes.
    public mutating func push(
        payload: ArraySlice<UInt8>, sequenceNumber: UInt16, timestamp: UInt32, marker: Bool
    ) throws(RTPVideoPayloadError) -> [RTPDepacketizerEvent] {
        guard !payload.isEmpty else {
            assembly.stats.malformed += 1
            throw .empty("VP8 RTP payload")
        }
        let descriptor: VP8PayloadDescriptor
        do {
            descriptor = try VP8PayloadDescriptor(parsing: payload)
        } catch {
            assembly.stats.malformed += 1
            throw error
        }
        let data = payload.dropFirst(descriptor.length)
        guard !data.isEmpty else {
            assembly.stats.malformed += 1
            throw .vp8NoPayload
        }
        lastDescriptor = descriptor
        var events: [RTPDepacketizerEvent] = []
        guard assembly.begin(sequence: sequenceNumber, timestamp: timestamp, events: &events) else { return events }
        if !assembly.started {
            if descriptor.startOfPartition && descriptor.partitionIndex == 0 {
                assembly.started = true
                assembly.keyframe = VP8Packetizer.isKeyframe(data)
            } else {
                assembly.markMissingStart()
            }
        }
        if assembly.started { assembly.data += data }
        assembly.finish(marker: marker, events: &events)
        return events
    }

    public mutating func push(_ view: RTPPacketView) throws(RTPVideoPayloadError) -> [RTPDepacketizerEvent] {
        try push(payload: view.payload, sequenceNumber: view.sequenceNumber, timestamp: view.timestamp, marker: view.marker)
    }
}
