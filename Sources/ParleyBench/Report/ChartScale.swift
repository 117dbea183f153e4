// SPDX-License-Identifier: Apache-2.0

import Foundation

/// A linear axis with "nice" bounds and ticks (1, 2, 2.5 or 5 times a power of ten), so axes
/// read 0, 250, 500 … rather than 0, 237.4, 474.8 … (Heckbert, "Nice numbers for graph
/// labels", Graphics Gems, 1990).
struct ChartScale: Sendable, Hashable {
    let lower: Double
    let upper: Double
    let step: Double

    /// A scale covering `minimum...maximum` with about `targetTicks` ticks. `integers` keeps
    /// the step whole (session counts). Degenerate input (empty, equal or non-finite bounds)
    /// still gives a usable axis rather than a division by zero in the caller.
    init(minimum: Double, maximum: Double, targetTicks: Int = 6, integers: Bool = false) {
        var lo = minimum.isFinite ? minimum : 0
        var hi = maximum.isFinite ? maximum : 1
        if lo > hi { swap(&lo, &hi) }
        if hi - lo < 1e-9 {
            // One value: centre it on an axis a little wider than itself.
            let pad = max(lo.magnitude * 0.1, integers ? 1 : 1e-3)
            lo -= lo == 0 ? 0 : pad
            hi += pad
        }
        var step = Self.nice((hi - lo) / Double(max(targetTicks - 1, 1)))
        // Whole steps only: 0.5 becomes 1 and 2.5 becomes 5 (not 3, which is not "nice").
        if integers && step != step.rounded() { step = step < 1 ? 1 : Self.nice(step * 1.5) }
        self.step = step
        self.lower = (lo / step).rounded(.down) * step
        self.upper = (hi / step).rounded(.up) * step
    }

    /// The tick values from `lower` to `upper`, computed by index so that floating-point error
    /// never accumulates into a tick like 0.30000000000000004.
    var ticks: [Double] {
        let count = Int(((upper - lower) / step).rounded()) + 1
        return (0..<max(count, 1)).map { i in
            let v = lower + Double(i) * step
            return v.magnitude < step * 1e-9 ? 0 : v
        }
    }

    /// How many decimals the tick labels need (a step of 0.25 needs two), capped at two.
    var labelDigits: Int {
        guard step < 1 else { return 0 }
        for digits in 1...2 {
            let scaled = step * pow(10, Double(digits))
            if (scaled - scaled.rounded()).magnitude < 1e-6 { return digits }
        }
        return 2
    }

    func label(_ value: Double) -> String { ReportNumber.compact(value, maxDigits: labelDigits) }

    /// Where `value` falls between `lower` (0) and `upper` (1).
    func fraction(_ value: Double) -> Double {
        let span = upper - lower
        return span > 0 ? (value - lower) / span : 0
    }

    /// The nice number closest to `x`.
    private static func nice(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let power = pow(10, floor(log10(x)))
        let f = x / power
        let niceFraction: Double = f < 1.5 ? 1 : f < 2.25 ? 2 : f < 3.5 ? 2.5 : f < 7.5 ? 5 : 10
        return niceFraction * power
    }
}
