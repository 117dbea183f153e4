// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Detects recurring delay spikes, like NetEQ's former `DelayPeakDetector`: when spikes recur
/// within a window, the network is in a spiky phase (Wi-Fi scans, cellular handovers) and the
/// target is raised to the highest recent spike, so the next one is absorbed instead of
/// concealed. Peak mode ends when no spike has been seen for two windows.
///
/// A *spike* here is a stall, not an outlier: at least `minPackets` *consecutive arrivals*
/// later than the target by more than `threshold` (and by more than the target itself). A
/// stall holds every packet and then releases them together, all late; a heavy-tailed but
/// memoryless network produces isolated late packets between punctual ones, which the
/// quantile target already accounts for. Runs within `mergeWindow` of a recorded spike
/// extend it rather than count again.
/// The caller passes the quantile target (not the raised one), so spikes stay visible while
/// peak mode absorbs them. Up to eight spikes are remembered (fixed storage).
struct DelayPeakDetector {
    let threshold: Nanos
    let mergeWindow: Nanos
    let window: Nanos
    let peaksToTrigger: Int
    let minPackets: Int
    private var times = [Nanos](repeating: 0, count: 8)
    private var heights = [Nanos](repeating: 0, count: 8)
    private var next = 0
    private var count = 0
    // The run of late arrivals being observed.
    private var run = 0
    private var runHeight: Nanos = 0

    init(threshold: Nanos, mergeWindow: Nanos, window: Nanos, peaksToTrigger: Int, minPackets: Int) {
        self.threshold = threshold
        self.mergeWindow = mergeWindow
        self.window = window
        self.peaksToTrigger = max(peaksToTrigger, 1)
        self.minPackets = max(minPackets, 1)
    }

    /// Feeds one packet's relative delay (above the fastest recent packet) and the quantile
    /// target on the same scale, in arrival order.
    mutating func update(relativeDelay: Nanos, target: Nanos, at time: Nanos) {
        guard relativeDelay > target + threshold, relativeDelay > 2 * target else {
            run = 0
            return
        }
        run += 1
        runHeight = max(runHeight, relativeDelay)
        if run == 1 { runHeight = relativeDelay }
        guard run >= minPackets else { return }
        let last = (next + heights.count - 1) % heights.count
        if count > 0 && time - times[last] <= mergeWindow {
            times[last] = time
            heights[last] = max(heights[last], runHeight)
        } else {
            record(at: time, height: runHeight)
        }
    }

    private mutating func record(at time: Nanos, height: Nanos) {
        times[next] = time
        heights[next] = height
        next = (next + 1) % heights.count
        count = min(count + 1, heights.count)
    }

    /// Spikes seen so far (at most the eight remembered).
    var spikes: Int { count }

    /// The height the target should cover while in peak mode, or nil when not in peak mode.
    func peakHeight(at now: Nanos) -> Nanos? {
        guard count >= peaksToTrigger else { return nil }
        let last = (next + heights.count - 1) % heights.count
        guard now - times[last] <= 2 * window else { return nil }
        // Enough spikes inside one window (ending at the latest)?
        var inWindow = 0
        var height: Nanos = 0
        for k in 0..<count {
            let i = (last - k + heights.count) % heights.count
            guard times[last] - times[i] <= window else { break }
            inWindow += 1
            height = max(height, heights[i])
        }
        return inWindow >= peaksToTrigger ? height : nil
    }

    mutating func reset() {
        next = 0
        count = 0
        run = 0
    }
}
