// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// A histogram of delays with exponential forgetting, as NetEQ keeps its relative-arrival-delay
/// histogram: each new sample has weight 1 and all older weight is multiplied by the forgetting
/// factor f, so the histogram describes roughly the last 1 / (1 − f) packets.
///
/// Forgetting is lazy: instead of scaling every bucket per sample (O(buckets)), the increment
/// grows by 1 / f per sample and the whole histogram is renormalized when it gets large; the
/// quantile only needs relative weights. Insertion is O(1), `quantile` O(buckets) at most.
///
/// Values are nanoseconds on any scale (the jitter buffer stores transit relative to its stream
/// anchor, which may be negative); the covered range follows the data (`recenter`).
struct DelayHistogram {
    let bucketWidth: Nanos
    let bucketCount: Int
    let forgetFactor: Double
    let startForgetWeight: Double
    /// Lower edge of bucket 0.
    private(set) var origin: Nanos
    private var weights: [Double]
    private var total: Double = 0
    private var increment: Double = 1
    /// Highest bucket that may hold weight (lowered as old weight becomes negligible).
    private var top = -1
    private(set) var samples = 0

    init(bucketWidth: Nanos, bucketCount: Int = 4_096, forgetFactor: Double, startForgetWeight: Double) {
        precondition(bucketWidth > 0 && bucketCount > 1)
        self.bucketWidth = bucketWidth
        self.bucketCount = bucketCount
        self.forgetFactor = min(max(forgetFactor, 0), 1)
        self.startForgetWeight = max(startForgetWeight, 0)
        origin = 0
        weights = Array(repeating: 0, count: bucketCount)
    }

    var range: Nanos { bucketWidth * Nanos(bucketCount) }
    var isEmpty: Bool { samples == 0 }

    mutating func reset() {
        for i in 0..<bucketCount { weights[i] = 0 }
        total = 0
        increment = 1
        top = -1
        samples = 0
    }

    /// Adds one sample; the first sample of a (re)started histogram places the covered range
    /// a quarter below it.
    mutating func add(_ value: Nanos) {
        if samples == 0 { origin = value - range / 4 }
        // Keep the data inside the covered range as it drifts (clock drift, route changes).
        if value < origin + range / 16 || value >= origin + range - range / 16 {
            recenter(around: value)
        }
        var f = forgetFactor
        if startForgetWeight > 0 {
            f = min(f, 1 - startForgetWeight / (Double(samples) + startForgetWeight))
        }
        if f <= 0 {
            // Forget everything (only ever the first sample, into an empty histogram).
            if top >= 0 { for i in 0...top { weights[i] = 0 } }
            total = 0
            increment = 1
            top = -1
        } else {
            increment /= f
        }
        let b = index(of: value)
        weights[b] += increment
        total += increment
        if b > top { top = b }
        samples += 1
        if increment > 1e150 { renormalize() }
    }

    /// The smallest value v (bucket upper edge) such that at least fraction `q` of the weight
    /// lies at or below v; nil when empty.
    func quantile(_ q: Double) -> Nanos? {
        guard samples > 0, top >= 0 else { return nil }
        let tail = (1 - min(max(q, 0), 1)) * total
        var above = 0.0
        var b = top
        while b > 0 {
            above += weights[b]
            if above > tail { break }
            b -= 1
        }
        return origin + Nanos(b + 1) * bucketWidth
    }

    private func index(of value: Nanos) -> Int {
        let i = (value - origin) / bucketWidth
        return Int(min(max(i, 0), Nanos(bucketCount - 1)))
    }

    private mutating func renormalize() {
        let scale = 1 / increment
        if top >= 0 { for i in 0...top { weights[i] *= scale } }
        total *= scale
        increment = 1
        // Drop negligible weight at the top so quantile scans stay short.
        while top > 0 && weights[top] < total * 1e-12 { weights[top] = 0; top -= 1 }
    }

    /// Moves the covered range so that `value` sits a quarter of the way up; weight that
    /// falls off either end is merged into the edge bucket.
    private mutating func recenter(around value: Nanos) {
        let shift = Int((value - range / 4 - origin) / bucketWidth) // > 0: move the range up
        guard shift != 0 else { return }
        origin += Nanos(shift) * bucketWidth
        guard top >= 0 else { return }
        let last = bucketCount - 1
        if shift > 0 {
            // Bucket i takes old bucket i + shift; old buckets 0...shift merge into bucket 0.
            var low = 0.0
            for i in 0...min(shift, last) { low += weights[i] }
            for i in 0...last { weights[i] = i + shift <= last ? weights[i + shift] : 0 }
            weights[0] = low
            top = max(top - shift, 0)
        } else {
            // Bucket i takes old bucket i − up; old buckets last − up...last merge into the last.
            let up = -shift
            var high = 0.0
            for i in max(last - up, 0)...last { high += weights[i] }
            for i in stride(from: last, through: 0, by: -1) { weights[i] = i - up >= 0 ? weights[i - up] : 0 }
            weights[last] = high
            top = min(top + up, last)
        }
    }
}
