// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// One received RTP packet as the jitter buffer needs it: the header fields that order and
/// time it (RFC 3550 §5.1), the codec payload, and when it arrived on the receiver's clock.
///
/// The payload is an `ArraySlice` so a depacketizer can hand over a slice of its reused
/// receive buffer without allocating; `JitterBuffer.insert` copies the bytes into its own
/// preallocated slot before it returns, so the slice may be reused right after.
public struct RTPPacket: Sendable {
    /// 16-bit sequence number; wraps (RFC 3550 §5.1).
    public var sequenceNumber: UInt16
    /// 32-bit media timestamp in clock-rate units (48 kHz for Opus); wraps.
    public var timestamp: UInt32
    /// Synchronization source: a change means a new stream (RFC 3550 §8).
    public var ssrc: UInt32
    /// Marker bit; for audio it flags the first packet of a talk spurt (RFC 3551 §4.1).
    public var marker: Bool
    public var payloadType: UInt8
    public var payload: ArraySlice<UInt8>
    /// Receive time on the receiver's monotonic clock (`PipelineClock.now()`).
    public var arrivalTime: Nanos

    public init(sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, marker: Bool = false,
                payloadType: UInt8 = 111, payload: ArraySlice<UInt8>, arrivalTime: Nanos) {
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.marker = marker
        self.payloadType = payloadType
        self.payload = payload
        self.arrivalTime = arrivalTime
    }

    public init(sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, marker: Bool = false,
                payloadType: UInt8 = 111, payload: [UInt8], arrivalTime: Nanos) {
        self.init(sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc, marker: marker,
                  payloadType: payloadType, payload: payload[...], arrivalTime: arrivalTime)
    }
}
