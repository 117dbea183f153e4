// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The largest number of concurrent sessions this process keeps in real time: doubling from
/// `start` until a run misses real time (a late input frame, a frame dropped on a full queue,
/// a glitch in agent audio, or an unanswered turn), then bisecting between the last run that
/// kept up and the first that did not. Every session runs the same round at the same instant
/// (no staggering: the worst case for bursts of work).
///
/// ```
///   N = start, 2·start, 4·start … (until not real time or max) ─► bisect ─► largest real-time N
/// ```
public struct CapacitySearch {
    public var runner: ParleyRunner
    public var scenario: ResolvedScenario
    public var start: Int
    public var max: Int

    public init(runner: ParleyRunner, scenario: ResolvedScenario, start: Int, max: Int) {
        self.runner = runner; self.scenario = scenario; self.start = start; self.max = max
    }

    public struct Outcome {
        public var points: [ConcurrencyPoint]
        /// Per session count, the runs' results (the report's latency figures use the largest real-time one).
        public var runs: [Int: FrameworkRun]
        public var largestRealtime: Int?
        public var complete: Bool
        /// Per session count, what made frames late (input, dropped, output gaps).
        public var lateness: [Int: RawRecord.RunEnd] = [:]
    }

    public func run(stop: StopFlag, progress: (String, Double) -> Void) -> Outcome {
        var points: [ConcurrencyPoint] = []
        var runs: [Int: FrameworkRun] = [:]
        var lateness: [Int: RawRecord.RunEnd] = [:]
        var good: Int?
        var bad: Int?
        var step = 0
        func measure(_ n: Int) -> Bool? {
            step += 1
            progress("\(n) sessions (run \(step))", 0)
            guard let records = try? runner.run(scenario, sessions: n, stop: stop, progress: { f in
                progress("\(n) sessions (run \(step))", f)
            }), !stop.isSet else { return nil }
            guard let res = records.resources else { return nil }
            let point = BenchDriver.point("parley", res, records: records)
            if case .runEnd(let end)? = records.last { lateness[n] = end }
            points.append(point)
            var run: FrameworkRun?
            try? Metrics.accumulate(records, scenario: scenario, into: &run)
            runs[n] = run
            return point.realtime
        }
        var n = Swift.max(1, start)
        while n <= max {
            guard let ok = measure(n) else { return Outcome(points: points, runs: runs, largestRealtime: good, complete: false, lateness: lateness) }
            if ok { good = n } else { bad = n; break }
            if n == max { break }
            n = Swift.min(max, n * 2)
        }
        while let lo = good, let hi = bad, hi - lo > Swift.max(2, lo / 8) {
            let mid = (lo + hi) / 2
            guard let ok = measure(mid) else { break }
            if ok { good = mid } else { bad = mid }
        }
        return Outcome(points: points.sorted { $0.sessions < $1.sessions }, runs: runs, largestRealtime: good,
                       complete: !stop.isSet, lateness: lateness)
    }
}
