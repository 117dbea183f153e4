// SPDX-License-Identifier: Apache-2.0

/// The empirical CDF of a latency, one line per framework run: the whole distribution at a
/// glance, where a table of p50/p95 hides the shape of the tail.
public enum LatencyCDFChart {
    public enum Metric: Sendable {
        /// End of user speech → first agent audio.
        case voiceToVoice
        /// Voice-to-voice minus what the providers and configured endpointing account for;
        /// can be negative (a framework that starts speaking before the first sentence ends).
        case engineAdded

        var title: String {
            switch self {
            case .voiceToVoice: "Voice-to-voice latency, CDF"
            case .engineAdded: "Engine-added latency, CDF"
            }
        }

        var subtitle: String {
            switch self {
            case .voiceToVoice: "End of user speech to first agent audio; further left is faster. Dashed: p50 and p95."
            case .engineAdded: "Voice-to-voice minus expected (providers + endpointing); 0 = no overhead. Dashed: p50 and p95."
            }
        }

        var axisTitle: String {
            switch self {
            case .voiceToVoice: "voice-to-voice (ms)"
            case .engineAdded: "engine-added (ms)"
            }
        }

        func values(_ figures: ReportRunFigures) -> [Double] {
            switch self {
            case .voiceToVoice: figures.voiceToVoice
            case .engineAdded: figures.engineAdded
            }
        }
    }

    /// One corner of the CDF's step line.
    public struct Point: Sendable, Hashable {
        public var ms: Double
        public var fraction: Double
    }

    /// The empirical CDF as a step line: for sorted values v₁ ≤ … ≤ vₙ it rises from
    /// (v₁, 0) by 1/n at each value, so it ends at (vₙ, 1). Both coordinates never decrease.
    /// Non-finite values are dropped; no values gives no points.
    public static func steps(_ values: [Double]) -> [Point] {
        let sorted = values.filter(\.isFinite).sorted()
        guard let first = sorted.first else { return [] }
        let n = Double(sorted.count)
        var points = [Point(ms: first, fraction: 0)]
        for (i, v) in sorted.enumerated() {
            // The horizontal run to this value, then the vertical step up at it.
            if i > 0 { points.append(Point(ms: v, fraction: Double(i) / n)) }
            points.append(Point(ms: v, fraction: Double(i + 1) / n))
        }
        return points
    }

    /// The chart as an SVG document.
    public static func render(_ results: BenchResults, metric: Metric) -> String {
        let figures = results.runs.map(ReportRunFigures.init)
        let all = figures.flatMap(metric.values)
        let width = 960.0, height = 500.0
        // Voice-to-voice starts at 0 so distances read true; engine-added may go below it.
        let lo = metric == .voiceToVoice ? 0 : min(all.min() ?? 0, 0)
        let hi = max(all.max() ?? 1000, lo + 1)
        let plot = ChartPlot(left: 80, top: 70, width: 600, height: 360,
                             x: ChartScale(minimum: lo, maximum: hi, targetTicks: 7),
                             y: ChartScale(minimum: 0, maximum: 1, targetTicks: 5))
        var doc = SVGDocument(width: width, height: height, title: metric.title + " — " + results.scenario)
        ChartPlot.drawHeading(&doc, title: metric.title + " — " + results.scenario, subtitle: metric.subtitle)
        plot.drawAxes(&doc, xTitle: metric.axisTitle, yTitle: "share of turns")

        for (level, name) in [(0.5, "p50"), (0.95, "p95")] {
            doc.line(x1: plot.left, y1: plot.py(level), x2: plot.right, y2: plot.py(level), stroke: "#999999", dash: "4 4")
            doc.text(name, x: plot.right - 4, y: plot.py(level) - 4, size: 10, anchor: .end, fill: ChartPalette.mutedText)
        }

        var legend: [ChartLegend.Entry] = []
        for (i, f) in figures.enumerated() {
            let color = ChartPalette.color(forRunAt: i), dash = ChartPalette.dash(forRunAt: i)
            let values = metric.values(f)
            let points = steps(values)
            doc.polyline(points.map { SVGDocument.Point(plot.px($0.ms), plot.py($0.fraction)) },
                         stroke: color, width: 2.5, dash: dash)
            let median = Percentile.of(values, 50)
            let detail = median.map { "p50 \(ReportNumber.ms($0)) ms, n=\(values.count)" } ?? "no replies"
            legend.append(.init(label: f.label, swatch: .line(color: color, dash: dash), detail: detail))
        }
        if all.isEmpty { plot.drawNoData(&doc, "No answered turns to plot") }
        ChartLegend(entries: legend, lineHeight: 24).draw(&doc, x: plot.right + 24, y: plot.top + 8)
        return doc.render()
    }
}
