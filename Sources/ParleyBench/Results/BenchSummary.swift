// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The few lines `parley bench` prints when a run ends (the report has the rest).
public enum BenchSummary {
    public static func lines(_ results: BenchResults) -> [String] {
        func ms(_ v: Double?) -> String { v.map { String(format: "%7.1f", $0) } ?? "      —" }
        var out = ["\(results.scenario): \(results.complete ? "complete" : "PARTIAL (stopped early)")",
                   "                          turns   v2v p50   v2v p95   engine p50  engine p95   interrupt p50"]
        for run in results.runs {
            let answered = run.turns.filter { $0.voiceToVoiceMs != nil }
            let v2v = answered.compactMap(\.voiceToVoiceMs)
            let added = answered.compactMap(\.engineAddedMs)
            let stops = run.interruptions.compactMap(\.stopMs)
            out.append(run.label.padding(toLength: 24, withPad: " ", startingAt: 0)
                       + String(format: "%4d/%-4d", answered.count, run.turns.count)
                       + " \(ms(Percentile.of(v2v, 50)))   \(ms(Percentile.of(v2v, 95)))   \(ms(Percentile.of(added, 50)))"
                       + "     \(ms(Percentile.of(added, 95)))      \(ms(Percentile.of(stops, 50)))"
                       + (run.failures.isEmpty ? "" : "   (\(run.failures.count) failed)"))
        }
        for run in results.runs {
            let net = run.turns.compactMap(\.engineAddedNetOfVADMs)
            let lag = run.turns.compactMap(\.vadLagMs)
            guard !net.isEmpty else { continue }
            out.append("\(run.label): the VAD put the end of speech \(ms(Percentile.of(lag, 50)).trimmingCharacters(in: .whitespaces)) ms late (p50); "
                       + "engine-added without it: p50 \(ms(Percentile.of(net, 50)).trimmingCharacters(in: .whitespaces)) ms, "
                       + "p95 \(ms(Percentile.of(net, 95)).trimmingCharacters(in: .whitespaces)) ms")
        }
        return out
    }
}
