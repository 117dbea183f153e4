// SPDX-License-Identifier: Apache-2.0

/// Encoded media carried through the pipeline without decoding (Opus for relays, VP8/H.264
/// for the avatar video relay).
///
/// - **Interruption:** `.agent` encoded media is purged downstream of the interrupting stage;
///   `.user` media survives (as for `AudioFrame`).
/// - Never dropped by a full queue: a gap in encoded video breaks decoding until the next keyframe.
public struct EncodedMediaFrame: Sendable {
    public enum Codec: String, Sendable, Hashable {
        case opus, vp8, h264, pcmu, pcma
    }

    public var codec: Codec
    public var payload: [UInt8]
    /// RTP-style timestamp in `clockRate` units.
    public var rtpTimestamp: UInt32
    public var clockRate: Int
    /// Media time of the frame (nanoseconds).
    public var timestamp: Nanos
    public var sequence: UInt64
    public var isKeyframe: Bool
    public var role: MediaRole

    public init(codec: Codec, payload: [UInt8], rtpTimestamp: UInt32, clockRate: Int, timestamp: Nanos,
                sequence: UInt64, isKeyframe: Bool = false, role: MediaRole) {
        self.codec = codec
        self.payload = payload
        self.rtpTimestamp = rtpTimestamp
        self.clockRate = clockRate
        self.timestamp = timestamp
        self.sequence = sequence
        self.isKeyframe = isKeyframe
        self.role = role
    }
}
