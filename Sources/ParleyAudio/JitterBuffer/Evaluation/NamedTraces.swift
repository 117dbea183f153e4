// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// The named synthetic traces of the jitter-buffer evaluation (`parley bench jitter`).
///
/// | name | network |
/// |---|---|
/// | jitter-20ms | Gaussian jitter σ = 20 ms |
/// | jitter-50ms | Gaussian jitter σ = 50 ms |
/// | pareto-100ms | heavy-tailed Pareto (α = 2.5) jitter, 95th percentile 100 ms |
/// | bursty-loss-1pct | Gilbert–Elliott loss 1 %, mean burst 2, σ = 10 ms, in-band FEC |
/// | bursty-loss-5pct | Gilbert–Elliott loss 5 %, mean burst 3, σ = 10 ms, in-band FEC |
/// | spike-300ms | σ = 5 ms plus a 300 ms stall every 8–12 s |
/// | drift-+200ppm / drift--200ppm | σ = 10 ms, sender clock ±200 ppm, 10 minutes |
/// | reorder-5pct | σ = 5 ms, 5 % of packets held back 45 ms |
/// | dtx-talkspurts | σ = 15 ms, 2 s talk / 1.5 s DTX pauses, 1 % loss |
public enum NamedTraces {
    /// The six traces the evaluation asserts on (delay ≤ 1.25 × the hindsight oracle).
    public static let headline = ["jitter-20ms", "jitter-50ms", "pareto-100ms",
                                  "bursty-loss-1pct", "bursty-loss-5pct", "spike-300ms"]
    /// Ten-minute clock-drift runs (asserted bounded: no growth, no starvation).
    public static let drift = ["drift-+200ppm", "drift--200ppm"]
    /// More behaviours worth watching (reordering, DTX).
    public static let extra = ["reorder-5pct", "dtx-talkspurts"]
    public static var all: [String] { headline + drift + extra }

    /// Default length: 60 s, or 600 s for the drift runs.
    public static func defaultDuration(of name: String) -> Nanos {
        drift.contains(name) ? .seconds(600) : .seconds(60)
    }

    /// The model for `name` (nil if unknown), `duration` or the default length.
    public static func model(named name: String, duration: Nanos? = nil) -> SyntheticTraceModel? {
        var m = SyntheticTraceModel(name: name, duration: duration ?? defaultDuration(of: name))
        func gaussian(_ sigmaMs: Int) {
            m.jitter = .gaussian(sigma: .ms(sigmaMs))
            m.baseDelay = .ms(30 + 4 * sigmaMs) // deep enough that the normal is not truncated
        }
        switch name {
        case "jitter-20ms": gaussian(20)
        case "jitter-50ms": gaussian(50)
        case "pareto-100ms":
            m.jitter = .pareto(shape: 2.5, p95: .ms(100))
        case "bursty-loss-1pct":
            gaussian(10)
            m.loss = GilbertElliottLoss(lossRate: 0.01, meanBurst: 2)
            m.fec = true
        case "bursty-loss-5pct":
            gaussian(10)
            m.loss = GilbertElliottLoss(lossRate: 0.05, meanBurst: 3)
            m.fec = true
        case "spike-300ms":
            gaussian(5)
            m.spikes = .init(height: .ms(300), minInterval: .seconds(8), maxInterval: .seconds(12))
        case "drift-+200ppm":
            gaussian(10)
            m.driftPPM = 200
        case "drift--200ppm":
            gaussian(10)
            m.driftPPM = -200
        case "reorder-5pct":
            gaussian(5)
            m.reordering = .init(probability: 0.05, extraDelay: .ms(45))
        case "dtx-talkspurts":
            gaussian(15)
            m.talkSpurts = .init(meanTalk: .seconds(2), meanPause: .ms(1_500))
            m.loss = GilbertElliottLoss(lossRate: 0.01, meanBurst: 1.5)
        default:
            return nil
        }
        return m
    }
}
