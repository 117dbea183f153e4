// SPDX-License-Identifier: Apache-2.0

/// Serial-number arithmetic for RTP's wrapping counters: the 16-bit sequence number and the
/// 32-bit timestamp (RFC 3550 §5.1 and Appendix A.1; RFC 1982).
///
/// Two values are compared by their signed distance modulo 2ⁿ: `b` is newer than `a` when
/// `b − a (mod 2ⁿ)` lies in the lower half of the range. The exact half-way distance is
/// ambiguous in RFC 1982; here it counts as "older", so garbage can never look newer.
public enum RTPSerial {
    /// Signed distance from `a` to `b` (positive when `b` is newer), 16-bit sequence numbers.
    @inlinable
    public static func distance(from a: UInt16, to b: UInt16) -> Int {
        Int(Int16(bitPattern: b &- a))
    }

    /// Signed distance from `a` to `b` (positive when `b` is newer), 32-bit RTP timestamps.
    @inlinable
    public static func distance(from a: UInt32, to b: UInt32) -> Int64 {
        Int64(Int32(bitPattern: b &- a))
    }

    @inlinable
    public static func isNewer(_ b: UInt16, than a: UInt16) -> Bool { distance(from: a, to: b) > 0 }

    @inlinable
    public static func isNewer(_ b: UInt32, than a: UInt32) -> Bool { distance(from: a, to: b) > 0 }
}

/// Extends a wrapping RTP counter (sequence number or timestamp) to a monotonic 64-bit value,
/// like RFC 3550's "extended highest sequence number received" (§6.4.1, A.1): the cycle count
/// lives in the high bits, and each new value is placed at its serial distance from the
/// highest value accepted so far (so it goes back for reordered packets and forward across
/// a wrap).
///
/// `extend` only computes; `accept` moves the reference. A caller validates a packet between
/// the two, so a garbage packet can never drag the reference somewhere else.
public struct WrappingCounterUnwrapper<Counter: FixedWidthInteger & UnsignedInteger>: Sendable, Hashable {
    /// The extended value of the first counter seen: one full cycle above zero, so values a
    /// little older than the first packet stay positive.
    static var origin: Int64 { Int64(1) << Counter.bitWidth }

    public private(set) var highest: Int64?

    public init() {}

    /// The extended value of `value`, relative to the highest accepted value (no state change).
    public func extend(_ value: Counter) -> Int64 {
        guard let highest else { return Self.origin + Int64(value) }
        let diff = value &- Counter(truncatingIfNeeded: highest)
        let half = Counter(1) << (Counter.bitWidth - 1)
        // Lower half of the range: newer by `diff`; upper half (and exactly half): older.
        if diff < half { return highest + Int64(diff) }
        return highest - (Int64(1) << Counter.bitWidth) + Int64(diff)
    }

    /// Records `extended` as accepted (moves the reference forward only).
    public mutating func accept(_ extended: Int64) {
        if let h = highest, extended <= h { return }
        highest = extended
    }

    public mutating func reset() { highest = nil }
}

/// Extends 16-bit RTP sequence numbers (RFC 3550 §A.1).
public typealias SequenceNumberUnwrapper = WrappingCounterUnwrapper<UInt16>
/// Extends 32-bit RTP timestamps.
public typealias RTPTimestampUnwrapper = WrappingCounterUnwrapper<UInt32>
