// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// RFC 3550 §6.4.1 interarrival jitter: the smoothed mean deviation of the difference D in
/// packet spacing at the receiver compared to the sender, J += (|D(i−1,i)| − J) / 16
/// (computed as in Appendix A.8, on the receiver's clock in nanoseconds rather than in
/// timestamp units). Reported in `JitterBufferStats` and ready for RTCP receiver reports.
struct InterarrivalJitter {
    private var lastTransit: Nanos?
    /// J in nanoseconds.
    private(set) var value: Double = 0

    /// `transit` is arrival time − media time of the packet (any constant offset cancels).
    mutating func update(transit: Nanos) {
        if let last = lastTransit {
            let d = Double(abs(transit - last))
            value += (d - value) / 16
        }
        lastTransit = transit
    }

    var nanos: Nanos { Nanos(value) }

    mutating func reset() { lastTransit = nil; value = 0 }
}
