// SPDX-License-Identifier: Apache-2.0

/// The abs-capture-time header extension
/// (http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time, webrtc.org
/// docs/native-code/rtp-hdrext/abs-capture-time): when the first sample of the packet's frame
/// was captured, as a 64-bit NTP timestamp (Q32.32 seconds since 1900) on the capturer's
/// clock, optionally followed by the capturer's estimated clock offset to the sender
/// (signed Q32.32 seconds).
///
/// ```
///  value (8 bytes):  | absolute capture timestamp (NTP, 64 bits) |
///  value (16 bytes): | absolute capture timestamp | estimated capture clock offset (Q32.32) |
/// ```
///
/// LiveKit offers it to subscribers for audio and accepts it from publishers
/// (livekit-protocol.md §4, §7): receivers use it for A/V sync and end-to-end delay. Both
/// forms fit the one-byte header (values up to 16 bytes, RFC 8285 §4.2).
public struct RTPAbsoluteCaptureTime: Sendable, Hashable {
    public var captureTime: UInt64
    public var estimatedClockOffset: Int64?

    public init(captureTime: UInt64, estimatedClockOffset: Int64? = nil) {
        self.captureTime = captureTime
        self.estimatedClockOffset = estimatedClockOffset
    }

    /// Decodes an element's value: 8 bytes, or 16 with the clock offset; nil otherwise (a
    /// sender speaking another length is not one we understand, so the value is ignored).
    public init?<C: Collection>(_ value: C) where C.Element == UInt8 {
        guard value.count == 8 || value.count == 16 else { return nil }
        var time: UInt64 = 0
        var offset: UInt64 = 0
        for (index, byte) in value.enumerated() {
            if index < 8 { time = time << 8 | UInt64(byte) } else { offset = offset << 8 | UInt64(byte) }
        }
        captureTime = time
        estimatedClockOffset = value.count == 16 ? Int64(bitPattern: offset) : nil
    }

    /// The element value: 8 bytes, or 16 with the clock offset.
    public var value: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(estimatedClockOffset == nil ? 8 : 16)
        out.appendBE64(captureTime)
        if let estimatedClockOffset { out.appendBE64(UInt64(bitPattern: estimatedClockOffset)) }
        return out
    }

    public func headerExtension(id: UInt8) -> RTPHeaderExtension {
        RTPHeaderExtension(id: id, value: value)
    }
}
