// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import ParleyBench

/// The report renderer: charts that are well-formed SVG with the right shapes, a report that
/// says what it must (partial runs, honest ratios), and a writer that never leaves half files.
@Suite("Bench report")
struct ReportTests {
    // MARK: SVG

    @Test("text is escaped and control characters dropped, so any label gives well-formed XML")
    func escaping() throws {
        var doc = SVGDocument(width: 100, height: 50, title: "a < b & \"c\"")
        doc.text("<script>alert('x')</script> & \u{07}bell", x: 1, y: 2)
        let svg = doc.render()
        #expect(!svg.contains("<script>"))
        #expect(!svg.contains("\u{07}"))
        #expect(svg.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; bell"))
        try assertWellFormed(svg)
        #expect(svg.contains("font-family=\"DejaVu Sans, sans-serif\""))
        #expect(svg.contains("viewBox=\"0 0 100 50\""))
    }

    @Test("numbers have at most two decimals, never -0")
    func numbers() {
        #expect(ReportNumber.compact(1.23456) == "1.23")
        #expect(ReportNumber.compact(2.5) == "2.5")
        #expect(ReportNumber.compact(3.0) == "3")
        #expect(ReportNumber.compact(-0.001) == "0")
        #expect(ReportNumber.fixed(-0.04, digits: 1) == "0.0")
        #expect(ReportNumber.fixed(1.25, digits: 1) == "1.3")
        #expect(ReportNumber.fixed(-12.345, digits: 1) == "-12.3")
        #expect(ReportNumber.fixed(812, digits: 1) == "812.0")
        #expect(ReportNumber.ms(nil) == "—")
    }

    @Test("every chart is well-formed, deterministic and uses at most two decimals")
    func chartsWellFormed() throws {
        let results = ReportFixture.results()
        let charts = ReportWriter.renderCharts(results)
        #expect(charts.map(\.file) == ["cdf-voice-to-voice.svg", "cdf-engine-added.svg", "stages.svg", "concurrency.svg"])
        for chart in charts {
            try assertWellFormed(chart.svg)
            #expect(chart.svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "))
            #expect(chart.svg.range(of: #"\d\.\d{3,}"#, options: .regularExpression) == nil, "\(chart.file) has >2 decimals")
            #expect(!chart.svg.contains("NaN") && !chart.svg.contains("inf"), "\(chart.file)")
        }
        #expect(ReportWriter.renderCharts(results).map(\.svg) == charts.map(\.svg))
    }

    @Test("nice scales: round ticks that cover the data, zero kept when the data crosses it")
    func scales() {
        let s = ChartScale(minimum: 0, maximum: 937, targetTicks: 6)
        #expect(s.lower == 0 && s.upper >= 937 && s.step == 200)
        #expect(s.ticks == [0, 200, 400, 600, 800, 1000])
        let neg = ChartScale(minimum: -37, maximum: 212, targetTicks: 7)
        #expect(neg.lower <= -37 && neg.upper >= 212 && neg.ticks.contains(0))
        let sessions = ChartScale(minimum: 0, maximum: 3, targetTicks: 8, integers: true)
        #expect(sessions.ticks == [0, 1, 2, 3])
        let flat = ChartScale(minimum: 5, maximum: 5)
        #expect(flat.upper > flat.lower)
        #expect(ChartScale(minimum: 0, maximum: 1, targetTicks: 5).ticks == [0, 0.25, 0.5, 0.75, 1])
    }

    // MARK: CDF

    @Test("CDF steps: x and share never decrease, from 0 to 1")
    func cdfMonotone() throws {
        var rng = ReportSplitMix(seed: 42)
        let values = (0..<200).map { _ in 400 + Double(rng.next() % 100_000) / 100 }
        let points = LatencyCDFChart.steps(values + [.nan])
        #expect(points.count == 2 * values.count)
        #expect(points.first?.fraction == 0)
        #expect(points.last?.fraction == 1)
        #expect(points.first?.ms == values.min() && points.last?.ms == values.max())
        for (a, b) in zip(points, points.dropFirst()) {
            #expect(a.ms <= b.ms && a.fraction <= b.fraction)
        }
        #expect(LatencyCDFChart.steps([]).isEmpty)

        // The drawn line too: in SVG coordinates x grows and y shrinks (y points down).
        let svg = LatencyCDFChart.render(ReportFixture.results(), metric: .voiceToVoice)
        let lines = polylines(svg)
        #expect(lines.count == 3)
        for line in lines {
            #expect(line.count >= 2)
            for (a, b) in zip(line, line.dropFirst()) { #expect(a.x <= b.x && a.y >= b.y) }
        }
    }

    @Test("the engine-added CDF axis goes below zero when a run answers early")
    func cdfNegative() throws {
        var results = ReportFixture.results()
        results.runs[1] = ReportFixture.run("pipecat", "tuned", overheads: [-40, -20, 10])
        let svg = LatencyCDFChart.render(results, metric: .engineAdded)
        try assertWellFormed(svg)
        #expect(svg.contains(">-50</text>") || svg.contains(">-40</text>"))
    }

    // MARK: Stage bars

    @Test("stage bars: one segment per part plus engine-added; a negative median is a marker, not a segment")
    func stageBars() throws {
        var results = ReportFixture.results()
        results.runs[1] = ReportFixture.run("pipecat", "tuned", overheads: [-30, -25, -20])
        let svg = StageBarsChart.render(results)
        try assertWellFormed(svg)
        #expect(!svg.contains("width=\"-"))
        #expect(svg.contains("url(#engine-added-hatch)"))
        #expect(svg.contains("-25.0 ms engine-added"))
        #expect(svg.contains("<polygon"))
        #expect(svg.contains(">endpointing/STT<") && svg.contains(">TTS first byte<"))
        #expect(StageBarsChart.rowTail(ReportRunFigures(results.runs[0])).hasPrefix("+"))
    }

    // MARK: Concurrency

    @Test("concurrency: hollow markers for points that were not real time, the largest real-time count annotated")
    func concurrency() throws {
        let results = ReportFixture.results()
        let svg = try #require(ConcurrencyChart.render(results))
        try assertWellFormed(svg)
        #expect(ConcurrencyChart.largestRealtimeSessions(results.concurrency, framework: "parley") == 8)
        #expect(ConcurrencyChart.largestRealtimeSessions(results.concurrency, framework: "pipecat") == 2)
        #expect(svg.contains(">8 real-time</text>") && svg.contains(">2 real-time</text>"))
        #expect(svg.contains("fill=\"#ffffff\" stroke=\"#D55E00\""), "pipecat's 4-session point is hollow")
        #expect(svg.contains("stroke-dasharray=\"7 4\""), "RSS per session is dashed")
    }

    @Test("no concurrency points: no chart, no concurrency section")
    func concurrencyOmitted() throws {
        var results = ReportFixture.results()
        results.concurrency = []
        #expect(ConcurrencyChart.render(results) == nil)
        #expect(!ReportWriter.renderCharts(results).contains { $0.file == "concurrency.svg" })
        #expect(!MarkdownReport.render(results).contains("## Concurrency"))
    }

    // MARK: Markdown

    @Test("ratio guard: Parley's engine-added median ≤ 0.5 ms gives — and says why")
    func ratioGuard() throws {
        let results = ReportFixture.results(parleyOverheads: [0.2, 0.3, 0.4])
        let md = MarkdownReport.render(results)
        #expect(md.contains("Parley's engine-added median is below 0.5 ms"))
        let pipecat = try #require(row(md, "pipecat (tuned)"))
        #expect(pipecat.last == "—", "engine-added vs Parley")
        #expect(pipecat[pipecat.count - 2].hasSuffix("×"), "voice-to-voice ratio still shown")
        #expect(MarkdownReport.ratio(50, over: 0.5) == "—")
        #expect(MarkdownReport.ratio(50, over: -3) == "—")
        #expect(MarkdownReport.ratio(nil, over: 20) == "—")
    }

    @Test("ratios vs Parley are p50 over p50")
    func ratios() throws {
        let results = ReportFixture.results(parleyOverheads: [10, 20, 30])
        let md = MarkdownReport.render(results)
        #expect(!md.contains("below 0.5 ms"))
        let pipecat = try #require(row(md, "pipecat (tuned)"))
        // pipecat overheads 40/50/60 → p50 50; Parley p50 20.
        #expect(pipecat.last == "2.50×")
        let parley = try #require(row(md, "parley"))
        #expect(parley.last == "1.00×" && parley[parley.count - 2] == "1.00×")
        #expect(parley[1] == "3/3")
    }

    @Test("a partial run says so prominently; a complete one does not")
    func partialBanner() {
        let partial = MarkdownReport.render(ReportFixture.results(complete: false))
        #expect(partial.contains("PARTIAL: stopped early"))
        let bannerLine = partial.split(separator: "\n").firstIndex { $0.contains("PARTIAL: stopped early") }
        #expect((bannerLine ?? 99) < 4, "the banner comes right after the title")
        #expect(!MarkdownReport.render(ReportFixture.results()).contains("PARTIAL"))
    }

    @Test("the report has every section, machine and versions, 1-decimal ms")
    func sections() throws {
        let md = MarkdownReport.render(ReportFixture.results(), charts: [.init(title: "V2V", svg: "cdf-voice-to-voice.svg")])
        for needle in ["# Parley bench: two-turns", "parley bench compare --scenario two-turns", "## Machine",
                       "AMD EPYC 7B13", "| Cores | 2 |", "Linux 6.1.0", "## Versions", "| pipecat-ai | 1.14.0 |",
                       "## Summary", "## Variants", "`vad` = `silero stop_secs=0.2`", "## Concurrency", "## Notes",
                       "- fixture run", "![V2V](cdf-voice-to-voice.svg)", "2025-06-15T"] {
            #expect(md.contains(needle), "missing \(needle)")
        }
        let parley = try #require(row(md, "parley"))
        // Expected 300 + 320 + 25 + 150 = 795 (turn 1); overhead 10/20/30 at the default.
        #expect(parley[2].range(of: #"^\d+\.\d$"#, options: .regularExpression) != nil, "\(parley[2])")
    }

    @Test("a run with no answered turns, or no turns at all, renders without crashing")
    func emptyRuns() throws {
        var results = ReportFixture.results()
        results.runs.append(ReportFixture.run("livekit-agents", "defaults", overheads: [nil, nil, nil]))
        results.runs.append(FrameworkRun(framework: "silent", variant: "defaults", version: "0", settings: [:], endpointingMs: 500))
        for chart in ReportWriter.renderCharts(results) { try assertWellFormed(chart.svg) }
        let md = MarkdownReport.render(results)
        let lk = try #require(row(md, "livekit-agents (defaults)"))
        #expect(lk[1] == "0/3" && lk[2] == "—" && lk[4] == "—" && lk.last == "—")
        let silent = try #require(row(md, "silent (defaults)"))
        #expect(silent[1] == "0/0")
        #expect(StageBarsChart.render(results).contains(">no replies<"))

        // Nothing at all: still a report and charts.
        var nothing = ReportFixture.results()
        nothing.runs = []; nothing.concurrency = []; nothing.versions = [:]
        for chart in ReportWriter.renderCharts(nothing) { try assertWellFormed(chart.svg) }
        #expect(MarkdownReport.render(nothing).contains("No framework runs were recorded."))
    }

    @Test("pipes and markup in labels cannot break the tables")
    func tableEscaping() throws {
        var results = ReportFixture.results()
        results.runs[1].settings = ["a|b": "x|y"]
        results.notes = ["<img src=x> note"]
        let md = MarkdownReport.render(results)
        #expect(md.contains("`a\\|b` = `x\\|y`"))
        #expect(md.contains("- &lt;img src=x&gt; note"))
    }

    // MARK: Writer

    @Test("writer: the files, results.json round-trips, and no temporary files are left")
    func writer() throws {
        let dir = try ReportTempDir()
        // A temporary file from an earlier, killed run is cleaned up.
        let stale = dir.url.appendingPathComponent(".report.md" + ReportFile.temporaryMarker + "1-dead")
        try Data("half".utf8).write(to: stale)

        let results = ReportFixture.results()
        let files = try ReportWriter.write(results, to: dir.url.appendingPathComponent("out"), converter: nil)
        let out = dir.url.appendingPathComponent("out")
        #expect(files.map(\.lastPathComponent) == ["results.json", "cdf-voice-to-voice.svg", "cdf-engine-added.svg",
                                                    "stages.svg", "concurrency.svg", "report.md"])
        #expect(try listing(out) == Set(files.map(\.lastPathComponent)))

        let json = try Data(contentsOf: out.appendingPathComponent("results.json"))
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"startedAt\" : \"2025-06-15T"))
        let keys = ["\"command\"", "\"complete\"", "\"concurrency\"", "\"finishedAt\""].compactMap { text.range(of: $0)?.lowerBound }
        #expect(keys.count == 4 && keys == keys.sorted(), "sorted keys")
        let back = try ReportWriter.decodeResults(json)
        #expect(back.runs == results.runs && back.concurrency == results.concurrency && back.startedAt == results.startedAt)

        let md = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(md.contains("PNG copies were skipped: rsvg-convert is not on PATH"))
        #expect(md.contains("![Sessions vs CPU and memory](concurrency.svg)"))

        // Written again into the same folder, now without concurrency points: the old
        // concurrency chart goes, the stale temporary goes, nothing else is left over.
        try Data("half".utf8).write(to: out.appendingPathComponent(".stages.svg" + ReportFile.temporaryMarker + "2-dead"))
        var fewer = results
        fewer.concurrency = []
        let again = try ReportWriter.write(fewer, to: out, converter: nil)
        #expect(!again.contains { $0.lastPathComponent == "concurrency.svg" })
        #expect(try listing(out) == Set(again.map(\.lastPathComponent)))
        #expect(try !String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8).contains("concurrency.svg"))
        _ = try ReportWriter.write(results, to: dir.url, converter: nil)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
    }

    @Test("writer with a converter: PNGs are made, linked and atomic; a failing converter leaves nothing behind")
    func pngConversion() throws {
        let dir = try ReportTempDir()
        let good = try dir.script("fake-rsvg", """
            #!/bin/sh
            out=""
            while [ $# -gt 0 ]; do
              if [ "$1" = "--output" ]; then out="$2"; shift; fi
              shift
            done
            printf 'PNG' > "$out"
            """)
        let out = dir.url.appendingPathComponent("with-png")
        let files = try ReportWriter.write(ReportFixture.results(), to: out, converter: PNGConverter(executable: good))
        let names = files.map(\.lastPathComponent)
        #expect(names.filter { $0.hasSuffix(".png") }.count == 4)
        #expect(try listing(out) == Set(names))
        let md = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(md.contains("PNG: [stages.png](stages.png)"))
        #expect(!md.contains("PNG copies were skipped"))

        let bad = try dir.script("broken-rsvg", "#!/bin/sh\necho 'cannot render' >&2\nexit 3\n")
        let files2 = try ReportWriter.write(ReportFixture.results(), to: out, converter: PNGConverter(executable: bad))
        #expect(!files2.contains { $0.pathExtension == "png" })
        #expect(try listing(out) == Set(files2.map(\.lastPathComponent)), "old PNGs and temporaries removed")
        let md2 = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(md2.contains("Some PNG copies were not made") && md2.contains("cannot render"))
    }

    @Test("a converter is looked up on PATH only")
    func converterLookup() throws {
        let dir = try ReportTempDir()
        let tool = try dir.script(PNGConverter.toolName, "#!/bin/sh\nexit 0\n")
        let found = PNGConverter.onPath(["PATH": "/nonexistent::" + tool.deletingLastPathComponent().path])
        #expect(found?.executable.path == tool.path)
        #expect(PNGConverter.onPath(["PATH": "/nonexistent"]) == nil)
        #expect(PNGConverter.onPath([:]) == nil)
    }

    @Test("writing into a path that is a file fails with an error, not a crash")
    func writeFailure() throws {
        let dir = try ReportTempDir()
        let file = dir.url.appendingPathComponent("plain")
        try Data().write(to: file)
        #expect(throws: (any Error).self) { try ReportWriter.write(ReportFixture.results(), to: file, converter: nil) }
    }
}

// MARK: - Helpers

/// Well-formedness: a real XML parse where Foundation has one; otherwise a tag-balance check.
private func assertWellFormed(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #if canImport(FoundationXML) || os(macOS)
    let doc = try XMLDocument(xmlString: svg, options: [])
    #expect(doc.rootElement()?.name == "svg", sourceLocation: sourceLocation)
    let texts = try doc.nodes(forXPath: "//*[local-name()='text']")
    #expect(!texts.isEmpty, sourceLocation: sourceLocation)
    #else
    var stack: [Substring] = []
    var rest = Substring(svg)
    while let open = rest.firstIndex(of: "<") {
        guard let close = rest[open...].firstIndex(of: ">") else { Issue.record("unclosed tag", sourceLocation: sourceLocation); return }
        let tag = rest[rest.index(after: open)..<close]
        rest = rest[rest.index(after: close)...]
        if tag.hasPrefix("?") || tag.hasSuffix("/") { continue }
        let name = tag.split(whereSeparator: { $0 == " " || $0 == "/" }).first ?? ""
        if tag.hasPrefix("/") {
            #expect(stack.popLast() == name, "mismatched </\(name)>", sourceLocation: sourceLocation)
        } else {
            stack.append(name)
        }
    }
    #expect(stack.isEmpty, sourceLocation: sourceLocation)
    #endif
}

/// The points of every `<polyline>` in document order.
private func polylines(_ svg: String) -> [[SVGDocument.Point]] {
    svg.components(separatedBy: "<polyline points=\"").dropFirst().map { chunk in
        let list = chunk.prefix { $0 != "\"" }
        return list.split(separator: " ").compactMap { pair in
            let xy = pair.split(separator: ",").compactMap { Double($0) }
            return xy.count == 2 ? SVGDocument.Point(xy[0], xy[1]) : nil
        }
    }
}

/// The cells of the summary-table row for `label`.
private func row(_ markdown: String, _ label: String) -> [String]? {
    markdown.split(separator: "\n").first { $0.hasPrefix("| \(label) | ") && $0.contains("/") }.map { line in
        line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// Every name in a folder, hidden ones included (temporary files start with a dot).
private func listing(_ dir: URL) throws -> Set<String> {
    Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
}

private final class ReportTempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("parley-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func script(_ name: String, _ body: String) throws -> URL {
        let bin = url.appendingPathComponent("bin-\(name)")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let file = bin.appendingPathComponent(name)
        try Data((body.hasSuffix("\n") ? body : body + "\n").utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        return file
    }
}

/// A small seeded generator, so the CDF test's data is the same on every run.
private struct ReportSplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Synthetic results shaped like a real `parley bench compare`: Parley, pipecat tuned and
/// defaults, three turns each, with concurrency points.
private enum ReportFixture {
    static let start = Date(timeIntervalSince1970: 1_750_000_000)  // 2025-06-15T15:06:40Z

    static func turn(_ index: Int, endpointingMs: Double, overhead: Double?) -> TurnResult {
        let parts = [
            TurnResult.Part(name: "endpointing/STT", ms: max(endpointingMs, 180)),
            TurnResult.Part(name: "LLM first sentence", ms: 320 + 25 * Double(index)),
            TurnResult.Part(name: "TTS first byte", ms: 150),
        ]
        let expected = parts.reduce(0) { $0 + $1.ms }
        return TurnResult(round: 1, session: 0, turn: index, voiceToVoiceMs: overhead.map { expected + $0 },
                          expectedMs: expected, engineAddedMs: overhead, parts: parts)
    }

    static func run(_ framework: String, _ variant: String, endpointingMs: Double = 300,
                    overheads: [Double?]) -> FrameworkRun {
        FrameworkRun(
            framework: framework, variant: variant, version: framework == "parley" ? "abc1234" : "1.14.0",
            settings: variant == "defaults" ? ["vad": "silero stop_secs=0.8"] : ["vad": "silero stop_secs=0.2"],
            endpointingMs: endpointingMs,
            turns: overheads.enumerated().map { turn($0.offset + 1, endpointingMs: endpointingMs, overhead: $0.element) },
            interruptions: [InterruptionResult(round: 1, session: 0, turn: 4, stopMs: framework == "parley" ? 42 : 180),
                            InterruptionResult(round: 1, session: 0, turn: 5, stopMs: nil)],
            resources: [.init(sessions: 1, cpuSeconds: framework == "parley" ? 0.8 : 6.4, wallSeconds: 30,
                              rssMB: framework == "parley" ? 38 : 310)])
    }

    static func results(complete: Bool = true, parleyOverheads: [Double?] = [10, 20, 30]) -> BenchResults {
        BenchResults(
            scenario: "two-turns", scenarioFile: "Benchmarks/Scenarios/two-turns.yaml",
            command: "parley bench compare --scenario two-turns --rounds 1",
            startedAt: start, finishedAt: start.addingTimeInterval(754), complete: complete,
            notes: ["fixture run"],
            machine: MachineInfo(cpuModel: "AMD EPYC 7B13", cores: 2, memoryGB: 23.4, os: "Debian GNU/Linux 12",
                                 kernel: "Linux 6.1.0"),
            versions: ["parley": "abc1234", "pipecat-ai": "1.14.0"],
            runs: [run("parley", "default", overheads: parleyOverheads),
                   run("pipecat", "tuned", overheads: [40, 50, 60]),
                   run("pipecat", "defaults", endpointingMs: 800, overheads: [90, 110, 400])],
            concurrency: [
                ConcurrencyPoint(framework: "parley", sessions: 1, cpuPercent: 3, rssMB: 40, rssMBPerSession: 40,
                                 realtime: true, framesLate: 0, voiceToVoiceP95Ms: 830),
                ConcurrencyPoint(framework: "parley", sessions: 8, cpuPercent: 22, rssMB: 70, rssMBPerSession: 8.75,
                                 realtime: true, framesLate: 0, voiceToVoiceP95Ms: 835),
                ConcurrencyPoint(framework: "pipecat", sessions: 1, cpuPercent: 21, rssMB: 310, rssMBPerSession: 310,
                                 realtime: true, framesLate: 0, voiceToVoiceP95Ms: 900),
                ConcurrencyPoint(framework: "pipecat", sessions: 2, cpuPercent: 45, rssMB: 600, rssMBPerSession: 300,
                                 realtime: true, framesLate: 0, voiceToVoiceP95Ms: 950),
                ConcurrencyPoint(framework: "pipecat", sessions: 4, cpuPercent: 96, rssMB: 1150, rssMBPerSession: 287.5,
                                 realtime: false, framesLate: 31, voiceToVoiceP95Ms: 1400),
            ])
    }
}
