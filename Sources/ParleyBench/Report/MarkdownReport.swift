// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The human-readable report of a bench run (report.md): what was run, on what, by which
/// versions, and the figures with their ratios to Parley, then the charts. Everything comes
/// from `BenchResults`, so a report can be re-rendered from an old results.json.
public enum MarkdownReport {
    /// A chart the report links to, by file name relative to report.md.
    public struct Chart: Sendable, Hashable {
        public var title: String
        public var svg: String
        /// The PNG copy, when one was made.
        public var png: String?
        public init(title: String, svg: String, png: String? = nil) { self.title = title; self.svg = svg; self.png = png }
    }

    /// Below this, Parley's engine-added median is indistinguishable from zero (timer and
    /// frame granularity), and a ratio over it would print absurd multiples like "240×".
    public static let ratioFloorMs = 0.5

    /// `pngNote` says why PNG copies are missing (no converter, a failed conversion).
    public static func render(_ results: BenchResults, charts: [Chart] = [], pngNote: String? = nil) -> String {
        var out: [String] = []
        out.append("# Parley bench: \(inline(results.scenario))")
        out.append("")
        if !results.complete {
            // First thing a reader sees: these figures must not be quoted as a full comparison.
            out.append("> **PARTIAL: stopped early.** The run did not finish; the figures below cover only the rounds that completed.")
            out.append("")
        }
        out.append(contentsOf: header(results))
        out.append(contentsOf: machine(results.machine))
        out.append(contentsOf: versions(results.versions))
        out.append(contentsOf: summary(results))
        out.append(contentsOf: variants(results.runs))
        out.append(contentsOf: concurrency(results))
        if !results.notes.isEmpty {
            out.append("## Notes")
            out.append("")
            out.append(contentsOf: results.notes.map { "- " + inline($0) })
            out.append("")
        }
        out.append(contentsOf: chartLinks(charts, pngNote: pngNote))
        while out.last == "" { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: Sections

    private static func header(_ r: BenchResults) -> [String] {
        let seconds = max(r.finishedAt.timeIntervalSince(r.startedAt), 0)
        return [
            "- Scenario: \(inline(r.scenario)) (\(code(r.scenarioFile)))",
            "- Started: \(iso(r.startedAt)), finished: \(iso(r.finishedAt)) (\(duration(seconds)))",
            "- Status: " + (r.complete ? "complete" : "**partial** (stopped early)"),
            "- Command:",
            "",
            codeBlock(r.command),
            "",
        ]
    }

    private static func machine(_ m: MachineInfo) -> [String] {
        [
            "## Machine", "",
            "| | |", "|---|---|",
            "| CPU | \(cell(m.cpuModel)) |",
            "| Cores | \(m.cores) |",
            "| Memory | \(ReportNumber.fixed(m.memoryGB, digits: 1)) GB |",
            "| OS | \(cell(m.os)) |",
            "| Kernel | \(cell(m.kernel)) |",
            "",
        ]
    }

    private static func versions(_ v: [String: String]) -> [String] {
        guard !v.isEmpty else { return [] }
        return ["## Versions", "", "| Framework | Version |", "|---|---|"]
            + v.keys.sorted().map { "| \(cell($0)) | \(cell(v[$0] ?? "")) |" } + [""]
    }

    private static func summary(_ r: BenchResults) -> [String] {
        let figures = r.runs.map(ReportRunFigures.init)
        let parleyIndex = r.runs.firstIndex { $0.framework.lowercased() == "parley" }
        let parley = parleyIndex.map { figures[$0] }
        var out = ["## Summary", ""]
        guard !figures.isEmpty else { return out + ["No framework runs were recorded.", ""] }
        out.append("Latencies in ms (p50 / p95 over the answered turns of all rounds). "
                   + "\"vs Parley\" is the run's p50 divided by Parley's (above 1: slower than Parley).")
        out.append("")
        out.append("| Run | Turns answered | Voice-to-voice p50 | p95 | Engine-added p50 | p95 | Interruptions stopped "
                   + "| Stop p50 | p95 | CPU s / round | CPU % of a core | Peak RSS MB | Voice-to-voice vs Parley "
                   + "| Engine-added vs Parley |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for f in figures {
            let row = [
                cell(f.label),
                "\(f.answered)/\(f.total)",
                ReportNumber.ms(f.voiceToVoiceP50), ReportNumber.ms(f.voiceToVoiceP95),
                ReportNumber.ms(f.engineAddedP50), ReportNumber.ms(f.engineAddedP95),
                f.interruptions == 0 ? "—" : "\(f.interruptionStops.count)/\(f.interruptions)",
                ReportNumber.ms(f.interruptionP50), ReportNumber.ms(f.interruptionP95),
                f.cpuSecondsPerRound.map { ReportNumber.fixed($0, digits: 2) } ?? "—",
                f.cpuPercentOfCore.map { ReportNumber.fixed($0, digits: 1) } ?? "—",
                f.peakRSSMB.map { ReportNumber.fixed($0, digits: 1) } ?? "—",
                ratio(f.voiceToVoiceP50, over: parley?.voiceToVoiceP50),
                ratio(f.engineAddedP50, over: parley?.engineAddedP50),
            ]
            out.append("| " + row.joined(separator: " | ") + " |")
        }
        out.append("")
        if let parley {
            if let p = parley.engineAddedP50, p <= ratioFloorMs {
                out.append("Engine-added vs Parley: —. Parley's engine-added median is below 0.5 ms "
                           + "(\(ReportNumber.ms(p)) ms), so a ratio over it would mean nothing; compare the medians themselves.")
                out.append("")
            } else if parley.engineAddedP50 == nil {
                out.append("Parley answered no turns, so there is nothing to compute ratios against.")
                out.append("")
            }
        } else {
            out.append("No Parley run in these results: the \"vs Parley\" columns are empty.")
            out.append("")
        }
        // Parley's engine knows where its VAD put the end of speech: split that model's lag out.
        for run in r.runs {
            let lag = run.turns.compactMap(\.vadLagMs)
            let net = run.turns.compactMap(\.engineAddedNetOfVADMs)
            guard let lag50 = Percentile.of(lag, 50), let net50 = Percentile.of(net, 50), let net95 = Percentile.of(net, 95)
            else { continue }
            out.append("\(cell(run.label)): its VAD put the end of speech \(ReportNumber.ms(lag50)) ms after it really ended "
                       + "(p50); engine-added without that lag: p50 \(ReportNumber.ms(net50)) ms, p95 \(ReportNumber.ms(net95)) ms.")
            out.append("")
        }
        out.append(contentsOf: [
            "- Voice-to-voice: end of the user's speech in the input → first sample of the agent's reply at the output.",
            "- Expected: what the simulated providers and the variant's configured endpointing alone account for "
                + "(max(endpointing, STT final) + LLM first sentence + TTS first byte).",
            "- Engine-added: voice-to-voice − expected, the time the framework itself adds (negative: it spoke sooner "
                + "than the providers and its configured endpointing alone allow, e.g. by sending a clause to TTS "
                + "before the first sentence was complete).",
            "- Interruption stop: from `interruption_min_ms` into a barge-in to the agent's audio stopping.",
            "- CPU and RSS: the whole process, per round (CPU s = user + system).",
            "",
        ])
        let failed = r.runs.filter { !$0.failures.isEmpty }
        if !failed.isEmpty {
            out.append("### Failed rounds")
            out.append("")
            for run in failed {
                for failure in run.failures { out.append("- \(inline(run.label)): \(inline(failure))") }
            }
            out.append("")
        }
        return out
    }

    private static func variants(_ runs: [FrameworkRun]) -> [String] {
        guard !runs.isEmpty else { return [] }
        var out = [
            "## Variants", "",
            "- `default` (Parley) is Parley as it ships, with the scenario's endpointing.",
            "- `defaults` is the framework configured as its documentation's quick start does.",
            "- `tuned` is its fastest honest settings: the scenario's endpointing, nothing skipped that a real agent needs.",
            "",
            "| Run | Version | Endpointing ms | Settings |", "|---|---|---:|---|",
        ]
        for run in runs {
            let settings = run.settings.keys.sorted().map { "\(code($0)) = \(code(run.settings[$0] ?? ""))" }
            out.append("| \(cell(run.label)) | \(cell(run.version)) | \(ReportNumber.ms(run.endpointingMs)) | "
                       + (settings.isEmpty ? "—" : settings.joined(separator: "; ").replacingOccurrences(of: "|", with: "\\|"))
                       + " |")
        }
        out.append("")
        return out
    }

    private static func concurrency(_ r: BenchResults) -> [String] {
        guard !r.concurrency.isEmpty else { return [] }
        let order = ChartFrameworks.ordered(r)
        let points = r.concurrency.sorted {
            ((order.firstIndex(of: $0.framework) ?? 0), $0.sessions) < ((order.firstIndex(of: $1.framework) ?? 0), $1.sessions)
        }
        var out = [
            "## Concurrency", "",
            "| Framework | Sessions | CPU % of one core | RSS MB | RSS MB / session | Real time | Frames late | Voice-to-voice p95 |",
            "|---|---:|---:|---:|---:|:---:|---:|---:|",
        ]
        for p in points {
            out.append("| \(cell(p.framework)) | \(p.sessions) | \(ReportNumber.fixed(p.cpuPercent, digits: 1)) | "
                       + "\(ReportNumber.fixed(p.rssMB, digits: 1)) | \(ReportNumber.fixed(p.rssMBPerSession, digits: 1)) | "
                       + "\(p.realtime ? "yes" : "**no**") | \(p.framesLate) | \(ReportNumber.ms(p.voiceToVoiceP95Ms)) |")
        }
        out.append("")
        let best = order.filter { name in r.concurrency.contains { $0.framework == name } }.map { name in
            let n = ConcurrencyChart.largestRealtimeSessions(r.concurrency, framework: name)
            return "\(inline(name)) " + (n.map { "\($0)" } ?? "none")
        }
        out.append("Most sessions kept in real time: " + best.joined(separator: ", ") + ".")
        out.append("")
        return out
    }

    private static func chartLinks(_ charts: [Chart], pngNote: String?) -> [String] {
        guard !charts.isEmpty else { return [] }
        var out = ["## Charts", ""]
        for c in charts {
            out.append("![\(inline(c.title))](\(link(c.svg)))")
            if let png = c.png { out.append(contentsOf: ["", "PNG: [\(inline(png))](\(link(png)))"]) }
            out.append("")
        }
        if let pngNote {
            out.append("_\(inline(pngNote))_")
            out.append("")
        }
        return out
    }

    // MARK: Formatting

    /// `value / parley` as "1.84×", or "—" when either is missing or Parley's figure is below
    /// `ratioFloorMs` (a ratio over ~0 says nothing but looks dramatic).
    static func ratio(_ value: Double?, over parley: Double?) -> String {
        // A ratio of a negative figure (a framework that speaks before the providers' time is up)
        // says nothing: only positive figures over a positive Parley figure.
        guard let value, let parley, parley > ratioFloorMs, value > 0, value.isFinite else { return "—" }
        return ReportNumber.fixed(value / parley, digits: 2) + "×"
    }

    /// Text safe inside a table cell: a `|` would split the cell, a line break would end the row.
    static func cell(_ s: String) -> String {
        inline(s).replacingOccurrences(of: "|", with: "\\|")
    }

    /// Text from runners and settings, flattened to one line with HTML-significant characters
    /// escaped, so no label can inject markup into the rendered page.
    static func inline(_ s: String) -> String {
        s.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\r", with: " ")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A code span with enough backticks that none inside the text can close it early.
    static func code(_ s: String) -> String {
        let flat = s.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        let fence = String(repeating: "`", count: longestRun(of: "`", in: flat) + 1)
        let pad = flat.hasPrefix("`") || flat.hasSuffix("`") ? " " : ""
        return fence + pad + flat + pad + fence
    }

    /// A fenced block for the command, likewise fenced longer than any backtick run in it.
    static func codeBlock(_ s: String) -> String {
        let fence = String(repeating: "`", count: max(3, longestRun(of: "`", in: s) + 1))
        return fence + "sh\n" + s + "\n" + fence
    }

    /// A relative link target: spaces and parentheses would end a Markdown link early.
    private static func link(_ file: String) -> String {
        file.replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: "(", with: "%28")
            .replacingOccurrences(of: ")", with: "%29")
    }

    private static func longestRun(of c: Character, in s: String) -> Int {
        var best = 0, current = 0
        for ch in s { current = ch == c ? current + 1 : 0; best = max(best, current) }
        return best
    }

    private static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    private static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}
