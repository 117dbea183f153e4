// SPDX-License-Identifier: Apache-2.0

/// A fixed-size log-linear histogram of nanosecond durations: no allocation after init,
/// constant-time record, ~3 % relative error on quantiles (32 sub-buckets per power of two).
///
/// Used for the per-edge queue-wait and processing-time probes, which run on every hop.
public struct LatencyHistogram: Sendable, Hashable {
    static let subBucketBits = 5
    static let subBuckets = 1 << subBucketBits
    static let magnitudes = 40 // up to ~2^44 ns ≈ 4.9 hours
    private var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sum: Int64 = 0
    public private(set) var min: Int64 = .max
    public private(set) var max: Int64 = 0

    public init() {
        counts = Array(repeating: 0, count: Self.subBuckets * (Self.magnitudes + 1))
    }

    @inline(__always)
    static func bucket(for value: Int64) -> Int {
        let v = UInt64(Swift.max(value, 0))
        if v < UInt64(subBuckets) { return Int(v) }
        let magnitude = 63 - v.leadingZeroBitCount - subBucketBits + 1 // ≥ 1
        let sub = Int(v >> UInt64(magnitude - 1)) - subBuckets          // 0..<subBuckets
        return Swift.min(magnitude, magnitudes) * subBuckets + Swift.min(sub, subBuckets - 1)
    }

    /// Lowest value that maps to `bucket` (representative for quantiles: the midpoint).
    static func value(for bucket: Int) -> Int64 {
        let magnitude = bucket / subBuckets
        let sub = bucket % subBuckets
        if magnitude == 0 { return Int64(sub) }
        let low = Int64(subBuckets + sub) << Int64(magnitude - 1)
        let width = Int64(1) << Int64(magnitude - 1)
        return low + width / 2
    }

    public mutating func record(_ nanos: Int64) {
        counts[Self.bucket(for: nanos)] &+= 1
        count &+= 1
        sum &+= nanos
        if nanos < min { min = nanos }
        if nanos > max { max = nanos }
    }

    /// The value at quantile `q` (0...1); 0 when empty.
    public func quantile(_ q: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let rank = UInt64((Double(count) * Swift.min(Swift.max(q, 0), 1)).rounded(.up))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= Swift.max(rank, 1) { return Swift.min(Swift.max(Self.value(for: i), min), max) }
        }
        return max
    }

    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    public mutating func reset() { self = LatencyHistogram() }
}
