// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// The best *fixed* playout delay for a trace, chosen with hindsight: the yardstick the
/// adaptive buffer is measured against.
///
/// A fixed-delay player plays the frame with media time m at m + O (on the receiver clock,
/// O chosen once for the whole trace). A packet with transit r = arrival − m is in time when
/// r ≤ O, and then waits O − r in the buffer. For an allowance of L late packets, the smallest
/// such O is the (L+1)-th largest transit: `smallestDelay(allowingLate:)` sorts the transits
/// once and reads it off, then reports the mean and 95th percentile wait of the packets in
/// time, the same figures the evaluation reports for the adaptive buffer.
///
/// Two versions: the *ideal* oracle may pick any real-valued delay; the *grid* oracle is a
/// fixed-delay buffer served by the same consumer, pulling every frame at the same instants
/// as the buffer under test, so a packet is needed at the first pull at or after
/// `anchor arrival + media time + O` (`smallestDelayOnGrid`). The grid oracle is the
/// like-for-like yardstick: no buffer behind a 20 ms pull can place a deadline between pulls.
public struct FixedDelayOracle: Sendable {
    /// Transit of every received packet relative to the first one (arrival order).
    public let transits: [Nanos]
    private let descending: [Nanos]
    private let arrivals: [Nanos]
    private let media: [Nanos]
    private let anchorArrival: Nanos

    public init(trace: NetworkTrace) {
        var unwrapper = RTPTimestampUnwrapper()
        var anchor: (ts: Int64, arrival: Nanos)?
        var out: [Nanos] = []
        out.reserveCapacity(trace.packets.count)
        var mediaTimes: [Nanos] = []
        mediaTimes.reserveCapacity(trace.packets.count)
        let rate = Int64(trace.clockRate)
        for p in trace.packets {
            let ts = unwrapper.extend(p.timestamp)
            unwrapper.accept(ts)
            if anchor == nil { anchor = (ts, p.arrival) }
            let samples = ts - anchor!.ts
            let media = samples / rate * 1_000_000_000 + samples % rate * 1_000_000_000 / rate
            out.append((p.arrival - anchor!.arrival) - media)
            mediaTimes.append(media)
        }
        transits = out
        descending = out.sorted(by: >)
        arrivals = trace.packets.map(\.arrival)
        media = mediaTimes
        anchorArrival = anchor?.arrival ?? 0
    }

    public struct Result: Sendable, Hashable {
        /// The fixed playout offset O (on the transit scale: relative to the first packet).
        public var offset: Nanos
        /// Packets that arrive after their playout time at this offset.
        public var late: Int
        public var received: Int
        /// Mean and 95th-percentile wait in the buffer of the packets in time.
        public var meanDelay: Nanos
        public var p95Delay: Nanos
        public var latePercent: Double { received == 0 ? 0 : 100 * Double(late) / Double(received) }
    }

    /// The smallest fixed delay with at most `allowedLate` late packets.
    public func smallestDelay(allowingLate allowedLate: Int) -> Result {
        guard !descending.isEmpty else { return Result(offset: 0, late: 0, received: 0, meanDelay: 0, p95Delay: 0) }
        let k = min(max(allowedLate, 0), descending.count - 1)
        let offset = descending[k]
        var late = 0
        while late < descending.count && descending[late] > offset { late += 1 }
        // Waits of the packets in time, ascending: offset − r for r from the largest down.
        var sum: Double = 0
        let inTime = descending.count - late
        for r in descending[late...] { sum += Double(offset - r) }
        let p95Index = min(inTime - 1, Int((Double(inTime) * 0.95).rounded(.up)) - 1)
        let p95 = offset - descending[late + max(p95Index, 0)]
        return Result(offset: offset, late: late, received: descending.count,
                      meanDelay: Nanos(sum / Double(max(inTime, 1))), p95Delay: p95)
    }

    /// The smallest fixed delay with at most `allowedLate` late packets for a consumer that
    /// pulls a frame every `period` starting at `firstPull`.
    public func smallestDelayOnGrid(allowingLate allowedLate: Int, firstPull: Nanos, period: Nanos) -> Result {
        guard !arrivals.isEmpty, period > 0 else { return smallestDelay(allowingLate: allowedLate) }
        func pull(atOrAfter t: Nanos) -> Nanos {
            let k = t <= firstPull ? 0 : (t - firstPull + period - 1) / period
            return firstPull + k * period
        }
        // Packet i is in time iff O > g_i, where g_i puts its deadline one pull before the
        // first pull at or after its arrival.
        var g = [Nanos](repeating: 0, count: arrivals.count)
        for i in arrivals.indices {
            g[i] = pull(atOrAfter: arrivals[i]) - period - anchorArrival - media[i]
        }
        let sorted = g.sorted(by: >)
        let k = min(max(allowedLate, 0), sorted.count - 1)
        let offset = sorted[k] + 1
        var waits: [Nanos] = []
        waits.reserveCapacity(arrivals.count)
        var late = 0
        for i in arrivals.indices {
            if g[i] >= offset { late += 1; continue }
            waits.append(pull(atOrAfter: anchorArrival + media[i] + offset) - arrivals[i])
        }
        waits.sort()
        let mean = waits.isEmpty ? 0 : Nanos(waits.reduce(0.0) { $0 + Double($1) } / Double(waits.count))
        let p95 = waits.isEmpty ? 0 : waits[min(waits.count - 1, Int((Double(waits.count) * 0.95).rounded(.up)) - 1)]
        return Result(offset: offset, late: late, received: arrivals.count, meanDelay: mean, p95Delay: p95)
    }
}
