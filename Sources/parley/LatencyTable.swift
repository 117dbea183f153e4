// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// Renders the per-turn latency table and the per-stage probe summary `parley run` prints.
enum LatencyTable {
    static func render(turns: [TurnReport], stats: PipelineStats?, realtime: Bool) -> String {
        var out: [String] = []
        let how = realtime ? "real time: voice-to-voice measured on the clock"
                           : "as fast as possible: voice-to-voice = endpointing (media time) + response (wall clock)"
        out.append("Per-turn latency (\(how))")
        if turns.isEmpty {
            out.append("  no turn completed (no end of speech was detected, or no agent audio followed it)")
        } else {
            out.append(row(["turn", "speech end", "endpointing", "response", "voice-to-voice", "interrupted"],
                           widths: [4, 11, 12, 10, 15, 11]))
            for t in turns {
                out.append(row(["\(t.index)", String(format: "%.3f s", Double(t.speechEnd) / 1e9),
                                fmt(t.endpointingDelay), fmt(t.responseLatency), fmt(t.voiceToVoice),
                                t.wasInterrupted ? "yes" : "no"], widths: [4, 11, 12, 10, 15, 11]))
            }
            out.append("")
            out.append("Per stage, per turn (first output after the end-of-speech decision / processing time in the turn)")
            let stageNames = turns[0].stageProcessing.map(\.stage)
            let width = max(24, (stageNames.map(\.count).max() ?? 0) + 2)
            var header = pad("stage", width)
            for t in turns { header += pad("turn \(t.index)", 24, right: true) }
            out.append(header)
            for name in stageNames {
                var line = pad(name, width)
                for t in turns {
                    let first = t.stageFirstOutput.first { $0.stage == name }.map { fmt($0.nanoseconds) } ?? "—"
                    let proc = t.stageProcessing.first { $0.stage == name }.map { fmt($0.nanoseconds) } ?? "—"
                    line += pad("\(first) / \(proc)", 24, right: true)
                }
                out.append(line)
            }
            let metrics = turns.flatMap { t in t.metrics.map { (t.index, $0) } }
            if !metrics.isEmpty {
                out.append("")
                out.append("Stage metrics")
                for (turn, m) in metrics { out.append("  turn \(turn)  \(m.stage)  \(m.name)  \(fmt(m.nanoseconds))") }
            }
        }
        if let stats {
            out.append("")
            out.append("Engine probes (all frames): processing per stage p50 / p99, queue wait per edge p50 / p99")
            for s in stats.stages {
                out.append("  " + pad(s.name + (s.isConverter ? " (inserted)" : ""), 52) + "  "
                           + "\(fmtUs(s.processing.quantile(0.5))) / \(fmtUs(s.processing.quantile(0.99)))  (\(s.processing.count) calls)")
            }
            for e in stats.edges {
                var note = ""
                if e.counters.dropped > 0 { note += ", \(e.counters.dropped) dropped" }
                if e.counters.purged > 0 { note += ", \(e.counters.purged) purged" }
                out.append("  " + pad(e.name, 52) + "  "
                           + "\(fmtUs(e.queueWait.quantile(0.5))) / \(fmtUs(e.queueWait.quantile(0.99)))  (\(e.counters.enqueued) frames\(note))")
            }
        }
        return out.joined(separator: "\n")
    }

    static func fmt(_ n: Nanos) -> String {
        let ms = Double(n) / 1e6
        return ms >= 100 ? String(format: "%.0f ms", ms) : String(format: "%.2f ms", ms)
    }

    static func fmtUs(_ n: Int64) -> String { String(format: "%.1f µs", Double(n) / 1e3) }

    static func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).map { pad($0, $1, right: true) }.joined(separator: "  ")
    }

    static func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
        let n = s.count
        if n >= w { return s }
        let spaces = String(repeating: " ", count: w - n)
        return right ? spaces + s : s + spaces
    }
}

/// Appends pipeline events to a JSON-lines file (called on the loop thread).
final class EventLog: @unchecked Sendable {
    // @unchecked: written only from the pipeline loop thread, closed after it has been joined.
    private let handle: FileHandle

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let h = FileHandle(forWritingAtPath: path) else {
            throw CLIFailure(message: "\(path): cannot create the events file")
        }
        handle = h
    }

    func write(_ event: PipelineEvent) { write(line: event.jsonLine) }
    func write(line: String) { handle.write(Data((line + "\n").utf8)) }
    func close() { try? handle.close() }
}
