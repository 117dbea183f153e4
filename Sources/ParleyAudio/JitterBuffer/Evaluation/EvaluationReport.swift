// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Renders evaluation results as the plain-text tables `parley bench jitter` prints.
public enum EvaluationReport {
    /// One row per trace: adaptive delay, the hindsight oracle's, their ratio, late loss of
    /// both, concealment and FEC.
    public static func table(_ results: [JitterBufferEvaluation.Result]) -> String {
        let header = ["trace", "mean/p95 delay", "oracle mean/p95", "ratio", "late-loss", "oracle late",
                      "ideal mean", "vs ideal", "concealed", "fec", "drop/ins"]
        var rows: [[String]] = [header]
        for r in results {
            rows.append([
                r.trace,
                "\(ms(r.meanDelay)) / \(ms(r.p95Delay))",
                "\(ms(r.oracle.meanDelay)) / \(ms(r.oracle.p95Delay))",
                fixed(r.ratio, 2),
                fixed(r.lateLossPercent, 2) + " %",
                fixed(r.oracle.latePercent, 2) + " %",
                ms(r.idealOracle.meanDelay),
                fixed(r.idealRatio, 2),
                fixed(r.concealmentPercent, 2) + " %",
                fixed(r.fecPercent, 2) + " %",
                "\(r.stats.dropped)/\(r.stats.inserted)",
            ])
        }
        return render(rows) + "\n(delays in ms: wait in the buffer of played packets; late-loss = (late + dropped) / received;"
            + "\n oracle = smallest fixed delay with at most as many late packets, same 20 ms pulls;"
            + " ideal = the same with any real-valued delay)"
    }

    /// Long-run boundedness: delay early vs late in the run, worst current delay, starvation.
    public static func driftTable(_ results: [JitterBufferEvaluation.Result]) -> String {
        var rows: [[String]] = [["trace", "length", "delay 1st min", "delay last min", "max delay", "rebuffers",
                                 "underruns", "dropped", "inserted", "late-loss", "concealed"]]
        for r in results {
            rows.append([
                r.trace,
                "\(r.duration / 1_000_000_000) s",
                ms(r.firstMinuteDelay),
                ms(r.lastMinuteDelay),
                ms(r.maxCurrentDelay),
                "\(r.rebuffersDuringTrace)",
                "\(r.stats.underruns)",
                "\(r.stats.dropped)",
                "\(r.stats.inserted)",
                fixed(r.lateLossPercent, 2) + " %",
                fixed(r.concealmentPercent, 2) + " %",
            ])
        }
        return render(rows)
    }

    static func ms(_ n: Nanos) -> String { fixed(Double(n) / 1e6, 1) }

    /// Fixed-point text without Foundation.
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        let whole = Int64(scaled / scale)
        let frac = Int64(scaled - Double(whole) * scale)
        var fracText = String(frac)
        while fracText.count < digits { fracText = "0" + fracText }
        let sign = x < 0 && scaled > 0 ? "-" : ""
        return digits > 0 ? "\(sign)\(whole).\(fracText)" : "\(sign)\(whole)"
    }

    static func render(_ rows: [[String]]) -> String {
        guard let columns = rows.first?.count else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() where i < columns { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
