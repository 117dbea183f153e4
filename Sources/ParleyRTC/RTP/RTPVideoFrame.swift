// SPDX-License-Identifier: Apache-2.0

/// One encoded video frame as a depacketizer reassembles it, or as a packetizer takes it:
/// the codec bitstream (VP8: the frame as the encoder wrote it, RFC 7741 §4.3; H.264: Annex B
/// NAL units with start codes, RFC 6184 §1.3) and its RTP timestamp (90 kHz).
public struct RTPVideoFrame: Sendable, Hashable {
    public var data: [UInt8]
    public var timestamp: UInt32
    /// Decodable on its own (VP8 key frame, H.264 IDR): what a PLI/FIR asks for.
    public var isKeyframe: Bool

    public init(data: [UInt8], timestamp: UInt32, isKeyframe: Bool) {
        self.data = data
        self.timestamp = timestamp
        self.isKeyframe = isKeyframe
    }
}

/// What a depacketizer made of one RTP packet.
public enum RTPDepacketizerEvent: Sendable, Hashable {
    /// A complete frame (the packet carried the marker bit, RFC 3550 §5.1 / RFC 7741 §4.1 /
    /// RFC 6184 §5.1: set on the last packet of a frame).
    case frame(RTPVideoFrame)
    /// A frame could not be reassembled (a packet of it was lost) or was skipped while a key
    /// frame is awaited; the decoder needs a key frame (send PLI, RFC 4585 §6.3.1).
    case frameDropped(timestamp: UInt32, reason: RTPFrameDropReason)
}

public enum RTPFrameDropReason: Sendable, Hashable {
    /// A sequence number is missing inside or before the frame.
    case packetLoss
    /// The frame's first packet never came (it started mid-frame).
    case missingStart
    /// A delta frame after a loss: it references what was lost.
    case awaitingKeyframe
}

/// Counters shared by the VP8 and H.264 depacketizers.
public struct RTPDepacketizerStats: Sendable, Hashable {
    public var packets = 0
    public var frames = 0
    public var keyframes = 0
    public var framesDropped = 0
    /// Sequence numbers found missing.
    public var packetsLost = 0
    /// Times the depacketizer went from decodable to "needs a key frame".
    public var keyframesNeeded = 0
    /// Packets rejected as malformed (the thrown error says why).
    public var malformed = 0

    public init() {}
}

/// Why a video RTP payload could not be packetized or depacketized.
public enum RTPVideoPayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Nothing to packetize, or an RTP payload with no bytes.
    case empty(String)
    /// The MTU leaves no room for payload after the descriptor/headers.
    case mtuTooSmall(mtu: Int, minimum: Int)
    /// A VP8 payload descriptor runs past the payload (RFC 7741 §4.2).
    case vp8DescriptorTruncated(needed: Int, available: Int)
    /// A VP8 payload with a descriptor and no frame data after it (RFC 7741 §4.2).
    case vp8NoPayload
    /// An H.264 bitstream handed to the packetizer does not start with an Annex B start code.
    case h264NotAnnexB
    /// The NAL header's forbidden_zero_bit is set (RFC 6184 §5.3).
    case h264ForbiddenBit
    /// NAL unit type 0, 30 or 31 (undefined, RFC 6184 §5.4 Table 1).
    case h264UndefinedNALType(UInt8)
    /// STAP-B, MTAP16/24 and FU-B are for interleaved mode, not packetization-mode 1 (RFC 6184 §6.3).
    case h264UnsupportedNALType(UInt8)
    /// A STAP-A NAL unit size runs past the packet, or is zero (RFC 6184 §5.7.1).
    case h264STAPATruncated(offset: Int, size: Int, available: Int)
    /// An FU-A is shorter than its two header bytes plus one byte, or sets both S and E (RFC 6184 §5.8).
    case h264MalformedFUA(String)

    public var description: String {
        switch self {
        case .empty(let what): "\(what) is empty"
        case .mtuTooSmall(let mtu, let minimum): "MTU \(mtu) is below the \(minimum) bytes one packet needs"
        case .vp8DescriptorTruncated(let needed, let available):
            "VP8 payload descriptor needs \(needed) bytes but the payload has \(available) (RFC 7741 §4.2)"
        case .vp8NoPayload: "VP8 payload has a descriptor but no frame data (RFC 7741 §4.2)"
        case .h264NotAnnexB: "H.264 bitstream does not start with a 00 00 01 start code (Annex B)"
        case .h264ForbiddenBit: "H.264 NAL header has forbidden_zero_bit set (RFC 6184 §5.3)"
        case .h264UndefinedNALType(let type): "H.264 NAL unit type \(type) is undefined (RFC 6184 §5.4)"
        case .h264UnsupportedNALType(let type):
            "H.264 NAL unit type \(type) is for interleaved mode, not packetization-mode 1 (RFC 6184 §6.3)"
        case .h264STAPATruncated(let offset, let size, let available):
            "H.264 STAP-A unit at byte \(offset) declares \(size) bytes but \(available) remain (RFC 6184 §5.7.1)"
        case .h264MalformedFUA(let why): "H.264 FU-A \(why) (RFC 6184 §5.8)"
        }
    }
}
