// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Writes a bench run's output folder: results.json (the figures, for tools and for
/// re-rendering), the chart SVGs, PNG copies when `rsvg-convert` is available, and report.md.
///
/// Every file is replaced atomically (`ReportFile`), and report.md is written last, so a run
/// interrupted at any point leaves either the previous report or a complete new one whose
/// links all resolve, never a half-written file.
public enum ReportWriter {
    public static let resultsFile = "results.json"
    public static let reportFile = "report.md"

    /// Writes everything into `directory` (created if needed) and returns the files written,
    /// in the order they were written (report.md last).
    public static func write(_ results: BenchResults, to directory: URL) throws -> [URL] {
        try write(results, to: directory, converter: PNGConverter.onPath())
    }

    /// The same with the PNG converter chosen by the caller (tests pass none or a fake one).
    static func write(_ results: BenchResults, to directory: URL, converter: PNGConverter?) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        ReportFile.removeStaleTemporaries(in: directory)
        var written: [URL] = []

        let json = directory.appendingPathComponent(resultsFile)
        try ReportFile.write(try encode(results), to: json)
        written.append(json)

        var charts: [MarkdownReport.Chart] = []
        var svgs: [URL] = []
        for chart in renderCharts(results) {
            let url = directory.appendingPathComponent(chart.file)
            try ReportFile.write(chart.svg, to: url)
            written.append(url)
            svgs.append(url)
            charts.append(.init(title: chart.title, svg: chart.file))
        }
        // A chart this run has no data for (no concurrency points) must not survive from an
        // earlier run into the same folder, where it would sit beside a report that omits it.
        let current = Set(charts.flatMap { [$0.svg, pngName($0.svg)] })
        for name in allChartFiles where !current.contains(name) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }

        var pngNote: String?
        if let converter {
            var failures: [String] = []
            for (i, svg) in svgs.enumerated() {
                let png = directory.appendingPathComponent(pngName(svg.lastPathComponent))
                do {
                    try converter.convert(svg, to: png)
                    written.append(png)
                    charts[i].png = png.lastPathComponent
                } catch {
                    // An old PNG would no longer match its SVG.
                    try? FileManager.default.removeItem(at: png)
                    failures.append("\(error)")
                }
            }
            if !failures.isEmpty { pngNote = "Some PNG copies were not made: " + failures.joined(separator: "; ") }
        } else {
            for svg in svgs { try? FileManager.default.removeItem(at: directory.appendingPathComponent(pngName(svg.lastPathComponent))) }
            pngNote = "PNG copies were skipped: \(PNGConverter.toolName) is not on PATH (Debian/Ubuntu: apt install librsvg2-bin)."
        }

        let report = directory.appendingPathComponent(reportFile)
        try ReportFile.write(MarkdownReport.render(results, charts: charts, pngNote: pngNote), to: report)
        written.append(report)
        return written
    }

    /// results.json: pretty-printed with sorted keys (stable diffs between runs), ISO-8601
    /// dates. A non-finite number becomes a string rather than failing the whole write.
    static func encode(_ results: BenchResults) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(results) + Data("\n".utf8)
    }

    /// The decoder that reads results.json back (the same date and number conventions).
    public static func decodeResults(_ data: Data) throws -> BenchResults {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(BenchResults.self, from: data)
    }

    struct RenderedChart {
        var file: String
        var title: String
        var svg: String
    }

    /// The charts, in the order the report shows them; concurrency only when it has points.
    static func renderCharts(_ results: BenchResults) -> [RenderedChart] {
        var charts = [
            RenderedChart(file: "cdf-voice-to-voice.svg", title: "Voice-to-voice latency (CDF)",
                          svg: LatencyCDFChart.render(results, metric: .voiceToVoice)),
            RenderedChart(file: "cdf-engine-added.svg", title: "Engine-added latency (CDF)",
                          svg: LatencyCDFChart.render(results, metric: .engineAdded)),
            RenderedChart(file: "stages.svg", title: "Median turn by stage", svg: StageBarsChart.render(results)),
        ]
        if let svg = ConcurrencyChart.render(results) {
            charts.append(RenderedChart(file: "concurrency.svg", title: "Sessions vs CPU and memory", svg: svg))
        }
        return charts
    }

    static let allChartFiles = ["cdf-voice-to-voice.svg", "cdf-engine-added.svg", "stages.svg", "concurrency.svg"]
        .flatMap { [$0, pngName($0)] }

    static func pngName(_ svg: String) -> String {
        (svg.hasSuffix(".svg") ? String(svg.dropLast(4)) : svg) + ".png"
    }
}
