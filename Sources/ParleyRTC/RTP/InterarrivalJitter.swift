// SPDX-License-Identifier: Apache-2.0

/// The interarrival jitter estimator of RFC 3550 §6.4.1 and §A.8: the mean deviation of the
/// difference in packet spacing at the receiver compared with the sender, smoothed with
/// gain 1/16, in RTP timestamp units. Kept scaled by 16 in an integer (the §A.8 integer
/// variant) so it is exact and cheap.
///
/// `arrival` must be in the same units as the RTP timestamp (48000 Hz for Opus): convert the
/// local receive clock before calling. Both wrap modulo 2^32, which the arithmetic handles.
public struct InterarrivalJitter: Sendable, Hashable {
    private var lastTransit: UInt32?
    /// Jitter × 16.
    private var scaled: UInt64 = 0

    public init() {}

    public mutating func update(arrival: UInt32, rtpTimestamp: UInt32) {
        let transit = arrival &- rtpTimestamp
        defer { lastTransit = transit }
        guard let lastTransit else { return }
        let d = UInt64(Int32(bitPattern: transit &- lastTransit).magnitude)
        // J += (|D| - J) / 16, with J scaled by 16: J16 += |D| - J16/16 (rounded, §A.8).
        scaled = scaled + d - ((scaled + 8) >> 4)
    }

    /// The estimate in timestamp units, as the report block's jitter field carries it.
    public var value: UInt32 { UInt32(truncatingIfNeeded: min(scaled >> 4, UInt64(UInt32.max))) }
}
