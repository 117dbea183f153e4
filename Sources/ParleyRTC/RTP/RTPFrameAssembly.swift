// SPDX-License-Identifier: Apache-2.0

/// The codec-independent half of a video depacketizer: sequence gap detection, one frame in
/// progress per RTP timestamp, and the "key frame needed" state after a loss.
///
///     decodable ──loss (gap in sequence numbers)──► awaitingKeyframe
///     awaitingKeyframe ──complete key frame──► decodable
///
/// Packets must arrive in order (a reordering jitter buffer sits in front); an older or
/// repeated sequence number is ignored. A frame ends with the marker bit (RFC 3550 §5.1,
/// RFC 7741 §4.1, RFC 6184 §5.1); one whose packets are not all there is dropped, and so is
/// every delta frame until a key frame completes, since it references what was lost.
struct RTPFrameAssembly: Sendable {
    var stats = RTPDepacketizerStats()
    private(set) var awaitingKeyframe: Bool
    private var expected: UInt16?
    /// The frame being assembled.
    var data: [UInt8] = []
    private(set) var timestamp: UInt32 = 0
    private var active = false
    /// Some of the frame's data is in `data` (its first packet was a start).
    var started = false
    var keyframe = false
    private var broken: RTPFrameDropReason?

    init(requireKeyframeFirst: Bool) {
        awaitingKeyframe = requireKeyframeFirst
    }

    /// Loss and frame-boundary bookkeeping for one packet; false: an old or duplicate packet
    /// to ignore.
    mutating func begin(sequence: UInt16, timestamp: UInt32, events: inout [RTPDepacketizerEvent]) -> Bool {
        if let expected, sequence != expected {
            guard RTPSequence.isNewer(sequence, than: expected) else { return false }
            stats.packetsLost += RTPSequence.distance(from: expected, to: sequence)
            // The lost packets were this frame's, or whole earlier frames, or the start of the
            // next: in every case the reference chain is broken.
            if active && timestamp == self.timestamp { broken = broken ?? .packetLoss }
            needKeyframe()
        }
        stats.packets += 1
        expected = sequence &+ 1
        if active && timestamp != self.timestamp {
            // The previous frame's marker packet never came.
            drop(reason: broken ?? .packetLoss, events: &events)
            needKeyframe()
        }
        if !active {
            active = true
            self.timestamp = timestamp
            data.removeAll(keepingCapacity: true)
            started = false
            keyframe = false
            broken = nil
        }
        return true
    }

    /// The packet does not start a frame but nothing of this frame came before it.
    mutating func markMissingStart() {
        broken = broken ?? .missingStart
        needKeyframe()
    }

    /// After the packet's data went into `data`: emits the frame on the marker bit.
    mutating func finish(marker: Bool, events: inout [RTPDepacketizerEvent]) {
        guard marker, active else { return }
        if let broken {
            drop(reason: broken, events: &events)
        } else if awaitingKeyframe && !keyframe {
            drop(reason: .awaitingKeyframe, events: &events)
        } else {
            awaitingKeyframe = false
            stats.frames += 1
            if keyframe { stats.keyframes += 1 }
            events.append(.frame(RTPVideoFrame(data: data, timestamp: timestamp, isKeyframe: keyframe)))
            active = false
        }
    }

    private mutating func drop(reason: RTPFrameDropReason, events: inout [RTPDepacketizerEvent]) {
        stats.framesDropped += 1
        events.append(.frameDropped(timestamp: timestamp, reason: reason))
        active = false
    }

    private mutating func needKeyframe() {
        guard !awaitingKeyframe else { return }
        awaitingKeyframe = true
        stats.keyframesNeeded += 1
    }
}
