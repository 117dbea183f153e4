// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Decides how late the buffer should play, from the arrival statistics of the stream.
///
/// The algorithm follows WebRTC NetEQ's `DelayManager` (histogram of relative arrival delays,
/// forgetting factor, target = a high quantile, plus a delay-peak detector), with one change
/// of reference, chosen because this buffer moves its playout point in whole frames against a
/// fixed media timeline instead of steering a buffer level:
///
/// 1. **Transit.** For each packet, `r = (arrival − anchor arrival) − (timestamp − anchor
///    timestamp) / clock rate`: its arrival relative to the stream's first packet (RFC 3550
///    §6.4.1 calls arrival − timestamp the relative transit time). A packet is late exactly
///    when `r` exceeds the playout offset `C = now − media time of the frame being played`, so
///    the histogram of `r` tells directly which offset keeps which fraction of packets in time.
/// 2. **Histogram with forgetting.** Every `r` (late packets included: they are the evidence
///    that the delay is too short) goes into a 1 ms `DelayHistogram` with NetEQ's forgetting
///    factor 0.9993 (≈ 29 s memory); during start-up it is a plain average (start weight 1;
///    NetEQ uses 2, which made early estimates overshoot here).
/// 3. **Target.** The target offset `C*` is the 0.97 quantile of `r` (NetEQ's default), bounded
///    to `[minDelay, maxDelay]` above the fastest packet of the last 2 s (`SlidingMinimum`,
///    NetEQ's relative-delay reference). Before `warmupPackets` the target is that fastest
///    packet + `initialDelay`.
/// 4. **Peaks.** `DelayPeakDetector` watches the delay relative to that fastest packet; when
///    stalls (runs of consecutive late arrivals) recur, the target is raised to cover the
///    highest recent one (NetEQ's former peak mode: 2 peaks within the window).
///
/// Clock drift moves `r` linearly (±200 ppm is 4 µs per 20 ms packet); the histogram follows
/// it through forgetting (the smear over its memory is ε × 29 s ≈ 6 ms at 200 ppm) and
/// re-centres its range as the values move, so drift never runs out of range.
struct TargetDelayEstimator {
    private let config: JitterBufferConfig
    private var histogram: DelayHistogram
    private var fastest: SlidingMinimum
    private var peaks: DelayPeakDetector
    private(set) var jitter = InterarrivalJitter()
    /// Target playout offset on the transit scale (`C*`).
    private(set) var target: Nanos = 0
    /// The target from the histogram alone (before peak mode raises it).
    private(set) var quantileTarget: Nanos = 0
    private(set) var peakMode = false

    init(config: JitterBufferConfig) {
        self.config = config
        histogram = DelayHistogram(bucketWidth: max(config.bucketWidth, 1), forgetFactor: config.forgetFactor,
                                   startForgetWeight: config.startForgetWeight)
        fastest = SlidingMinimum(window: config.historyWindow)
        peaks = DelayPeakDetector(threshold: config.peakThreshold, mergeWindow: config.peakMergeWindow,
                                  window: config.peakWindow, peaksToTrigger: config.peaksToTrigger,
                                  minPackets: config.peakMinPackets)
    }

    /// Transit of the fastest packet in the last `historyWindow` (nil before any packet).
    var baseline: Nanos? { fastest.minimum }

    var samples: Int { histogram.samples }

    /// Feeds one packet's transit `r` (see the type's doc) that arrived at `arrival`.
    mutating func update(transit r: Nanos, arrival: Nanos) {
        fastest.add(r, at: arrival)
        histogram.add(r)
        jitter.update(transit: r)
        if let base = fastest.minimum {
            peaks.update(relativeDelay: r - base, target: quantileTarget - base, at: arrival)
        }
        refresh(now: arrival)
    }

    /// Recomputes `target` (also call it at playout time: peak mode expires with time).
    mutating func refresh(now: Nanos) {
        guard let base = fastest.minimum else { return }
        var t: Nanos
        if histogram.samples < max(config.warmupPackets, 1) {
            t = base + config.initialDelay
        } else {
            t = histogram.quantile(config.quantile) ?? base + config.initialDelay
        }
        let upper = base + max(config.maxDelay, config.minDelay)
        quantileTarget = min(max(t, base + config.minDelay), upper)
        if let height = peaks.peakHeight(at: now) {
            t = max(t, base + height)
            peakMode = true
        } else {
            peakMode = false
        }
        target = min(max(t, base + config.minDelay), upper)
    }

    mutating func reset() {
        histogram.reset()
        fastest.reset()
        peaks.reset()
        jitter.reset()
        target = 0
        quantileTarget = 0
        peakMode = false
    }
}
