// SPDX-License-Identifier: Apache-2.0

/// Sessions vs cost, per framework: CPU (share of one core, left axis, solid) and resident
/// memory per session (right axis, dashed). Hollow markers are the points where some session
/// fell behind real time, and a ring marks the most sessions each framework kept in real time:
/// the capacity figure the curve is for.
public enum ConcurrencyChart {
    /// The most sessions a framework ran with every session in real time, nil if none was.
    public static func largestRealtimeSessions(_ points: [ConcurrencyPoint], framework: String) -> Int? {
        points.filter { $0.framework == framework && $0.realtime }.map(\.sessions).max()
    }

    /// The chart as an SVG document, or nil when there are no concurrency points (the
    /// writer then leaves the file out rather than drawing empty axes).
    public static func render(_ results: BenchResults) -> String? {
        let points = results.concurrency.filter { $0.cpuPercent.isFinite && $0.rssMBPerSession.isFinite }
        guard !points.isEmpty else { return nil }
        let frameworks = ChartFrameworks.ordered(results).filter { name in points.contains { $0.framework == name } }

        let maxSessions = Double(points.map(\.sessions).max() ?? 1)
        let maxCPU = points.map(\.cpuPercent).max() ?? 100
        let plot = ChartPlot(left: 80, top: 70, width: 560, height: 360,
                             x: ChartScale(minimum: 0, maximum: max(maxSessions, 1), targetTicks: 8, integers: true),
                             y: ChartScale(minimum: 0, maximum: max(maxCPU, 1), targetTicks: 6))
        let rss = ChartScale(minimum: 0, maximum: max(points.map(\.rssMBPerSession).max() ?? 1, 1), targetTicks: 6)
        func pyRSS(_ v: Double) -> Double { plot.bottom - min(max(rss.fraction(v), 0), 1) * plot.height }

        var doc = SVGDocument(width: 1010, height: 500, title: "Concurrency — " + results.scenario)
        ChartPlot.drawHeading(&doc, title: "Concurrency — " + results.scenario,
                              subtitle: "Solid: CPU % of one core (left). Dashed: RSS MB per session (right). Hollow: not real time.")
        plot.drawAxes(&doc, xTitle: "concurrent sessions", yTitle: "CPU % of one core")
        plot.drawRightAxis(&doc, scale: rss, title: "RSS MB per session")
        // 100 % is one core busy: the line a single-threaded engine cannot cross.
        if plot.y.upper >= 100 {
            doc.line(x1: plot.left, y1: plot.py(100), x2: plot.right, y2: plot.py(100), stroke: "#999999", dash: "4 4")
            doc.text("1 core", x: plot.left + 4, y: plot.py(100) - 4, size: 10, fill: ChartPalette.mutedText)
        }

        var legend: [ChartLegend.Entry] = []
        for (i, framework) in frameworks.enumerated() {
            let color = ChartPalette.color(forFramework: framework, in: results)
            let series = points.filter { $0.framework == framework }.sorted { ($0.sessions, $0.cpuPercent) < ($1.sessions, $1.cpuPercent) }
            let cpu = series.map { SVGDocument.Point(plot.px(Double($0.sessions)), plot.py($0.cpuPercent)) }
            let mem = series.map { SVGDocument.Point(plot.px(Double($0.sessions)), pyRSS($0.rssMBPerSession)) }
            doc.polyline(cpu, stroke: color, width: 2.5)
            doc.polyline(mem, stroke: color, width: 2, dash: "7 4")
            for (p, (c, m)) in zip(series, zip(cpu, mem)) {
                let fill = p.realtime ? color : "#ffffff"
                doc.circle(cx: c.x, cy: c.y, r: 4.5, fill: fill, stroke: color, strokeWidth: 2)
                doc.rect(x: m.x - 4, y: m.y - 4, width: 8, height: 8, fill: fill, stroke: color, strokeWidth: 2)
            }
            let best = largestRealtimeSessions(series, framework: framework)
            if let best, let p = series.last(where: { $0.sessions == best && $0.realtime }) {
                let x = plot.px(Double(best)), y = plot.py(p.cpuPercent)
                doc.circle(cx: x, cy: y, r: 10, fill: "none", stroke: color, strokeWidth: 1.5)
                // Stagger the notes of different frameworks so they do not print over each other.
                let label = "\(best) real-time"
                let above = y - 16 - Double(i) * 15
                let anchor: SVGDocument.Anchor = x > plot.right - ChartPlot.textWidth(label, size: 11) / 2 ? .end : .middle
                doc.text(label, x: x, y: max(above, plot.top + 10), size: 11, anchor: anchor, weight: "bold", fill: color)
            }
            let detail = best.map { "max real time: \($0) session\($0 == 1 ? "" : "s")" } ?? "never real time"
            legend.append(.init(label: framework, swatch: .line(color: color, dash: nil), detail: detail))
        }
        let keyTop = ChartLegend(entries: legend, lineHeight: 24).draw(&doc, x: plot.right + 80, y: plot.top + 8)
        ChartLegend(entries: [
            .init(label: "CPU % of one core", swatch: .line(color: ChartPalette.axis, dash: nil)),
            .init(label: "RSS MB per session", swatch: .line(color: ChartPalette.axis, dash: "7 4")),
            .init(label: "not real time", swatch: .marker(color: ChartPalette.axis, hollow: true)),
        ]).draw(&doc, x: plot.right + 80, y: keyTop + 10)
        return doc.render()
    }
}
