// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// What one pulled frame is made of. When a frame mixes kinds (a 10 ms packet and 10 ms of
/// concealment), the most severe one is reported: concealed > fec > decoded > silence.
public enum PlayoutKind: UInt8, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nothing to play: before playout, while rebuffering, or in a DTX gap (comfort noise).
    case silence
    /// Decoded from the packet that was due.
    case decoded
    /// Recovered from the in-band FEC of the packet after the missing one.
    case fec
    /// Packet loss concealment: the packet was missing, or a frame was inserted to add delay.
    case concealed

    public static func < (a: PlayoutKind, b: PlayoutKind) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .silence: "silence"
        case .decoded: "decoded"
        case .fec: "fec"
        case .concealed: "concealed"
        }
    }
}

/// One frame from `JitterBuffer.pull(now:)`: the audio and what it was.
public struct JitterBufferFrame: Sendable {
    /// `frameSamples` samples per channel, in a buffer from the jitter buffer's pool.
    public var audio: AudioFrame
    public var kind: PlayoutKind
    /// RTP sequence number of the packet whose decoding started in this frame, if one did.
    public var sequenceNumber: UInt16?
    /// RTP timestamp of the frame's first sample (on the current stream's timeline).
    public var rtpTimestamp: UInt32
    /// Time that packet spent in the buffer: `now − arrival` (nil when no packet started here).
    public var bufferDelay: Nanos?
}
