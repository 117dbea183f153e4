// SPDX-License-Identifier: Apache-2.0

/// Where the median turn's time goes, one horizontal stacked bar per framework run: the parts
/// the simulated providers and the configured endpointing account for, then what the framework
/// itself added on top. The parts are the same fixed draws for every framework (only the
/// endpointing differs by variant), so the engine-added segment is the comparison.
public enum StageBarsChart {
    /// The chart as an SVG document.
    public static func render(_ results: BenchResults) -> String {
        let figures = results.runs.map(ReportRunFigures.init)
        let labelWidth = 210.0, barHeight = 30.0, rowPitch = 62.0, top = 78.0
        let plotWidth = 560.0
        // Part names over all runs, in first-seen order, so one part has one colour everywhere.
        var partNames: [String] = []
        for f in figures { for p in f.partMedians where !partNames.contains(p.name) { partNames.append(p.name) } }

        // The scale covers the longest bar and any negative marker (drawn left of the bar's end,
        // never left of 0 since the expected parts are never negative).
        let ends = figures.map { f in f.expectedMedianTotal + max(f.engineAddedP50 ?? 0, 0) }
        let scale = ChartScale(minimum: 0, maximum: max(ends.max() ?? 0, 1), targetTicks: 7)
        let plotHeight = max(Double(figures.count) * rowPitch, rowPitch)
        let plot = ChartPlot(left: labelWidth + 20, top: top, width: plotWidth, height: plotHeight,
                             x: scale, y: ChartScale(minimum: 0, maximum: 1))
        let legendTop = plot.bottom + 66
        let height = legendTop + Double(partNames.count + 1) * 20 + 4
        let width = plot.right + 190

        var doc = SVGDocument(width: width, height: height, title: "Median turn by stage — " + results.scenario)
        ChartPlot.drawHeading(&doc, title: "Median turn by stage — " + results.scenario,
                              subtitle: "Median of each expected part, then the median engine-added time (hatched). Labels in ms.")
        let hatch = doc.hatchPattern(id: "engine-added-hatch", stripe: ChartPalette.engineAdded,
                                     background: ChartPalette.engineAddedBackground)

        // Vertical grid and the x axis only: the y axis is categorical (one row per run).
        for t in scale.ticks {
            doc.line(x1: plot.px(t), y1: plot.top, x2: plot.px(t), y2: plot.bottom, stroke: ChartPalette.grid)
            doc.text(scale.label(t), x: plot.px(t), y: plot.bottom + 18, size: 11, anchor: .middle)
        }
        doc.line(x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.bottom, stroke: ChartPalette.axis, width: 1.5)
        doc.line(x1: plot.left, y1: plot.top, x2: plot.left, y2: plot.bottom, stroke: ChartPalette.axis, width: 1.5)
        doc.text("ms after the end of user speech", x: plot.left + plotWidth / 2, y: plot.bottom + 38, size: 12, anchor: .middle)

        for (row, f) in figures.enumerated() {
            let y = plot.top + Double(row) * rowPitch + (rowPitch - barHeight) / 2
            let mid = y + barHeight / 2
            doc.text(f.label, x: plot.left - 10, y: mid - 2, size: 12, anchor: .end, weight: "bold")
            doc.text("\(f.answered)/\(f.total) turns answered", x: plot.left - 10, y: mid + 13, size: 10, anchor: .end,
                     fill: ChartPalette.mutedText)
            var cursor = 0.0
            for part in f.partMedians {
                let color = ChartPalette.parts[(partNames.firstIndex(of: part.name) ?? 0) % ChartPalette.parts.count]
                drawSegment(&doc, plot: plot, from: cursor, to: cursor + part.ms, y: y, height: barHeight,
                            fill: color, label: ReportNumber.ms(part.ms))
                cursor += part.ms
            }
            let tail = rowTail(f)
            if let engine = f.engineAddedP50 {
                if engine >= 0 {
                    drawSegment(&doc, plot: plot, from: cursor, to: cursor + engine, y: y, height: barHeight,
                                fill: hatch, label: ReportNumber.ms(engine), labelBackdrop: true)
                } else {
                    // Negative: the median reply came before the providers alone would allow.
                    // A segment of negative width would be meaningless; a marker shows where.
                    let x = plot.px(cursor + engine)
                    doc.line(x1: x, y1: y - 5, x2: x, y2: y + barHeight + 5, stroke: ChartPalette.engineAdded, width: 2.5)
                    doc.polygon([.init(x, y - 5), .init(x - 5, y - 12), .init(x + 5, y - 12)], fill: ChartPalette.engineAdded)
                }
            }
            doc.text(tail, x: plot.px(cursor + max(f.engineAddedP50 ?? 0, 0)) + 8, y: mid + 4, size: 11,
                     fill: f.engineAddedP50 == nil ? ChartPalette.mutedText : "#222222")
        }
        if figures.isEmpty { plot.drawNoData(&doc, "No framework runs") }

        var legend = partNames.enumerated().map { i, name in
            ChartLegend.Entry(label: name, swatch: .box(fill: ChartPalette.parts[i % ChartPalette.parts.count]))
        }
        legend.append(.init(label: "engine-added (median; a marker when negative)", swatch: .box(fill: hatch)))
        ChartLegend(entries: legend).draw(&doc, x: plot.left, y: legendTop)
        return doc.render()
    }

    /// The text right of a bar: the engine-added median with its sign, or why there is none.
    static func rowTail(_ f: ReportRunFigures) -> String {
        guard let engine = f.engineAddedP50 else { return "no replies" }
        return (engine >= 0 ? "+" : "") + ReportNumber.ms(engine) + " ms engine-added"
    }

    /// One segment with its value centred inside when it fits (narrow ones stay unlabelled;
    /// their value is in the report's table).
    private static func drawSegment(_ doc: inout SVGDocument, plot: ChartPlot, from: Double, to: Double, y: Double,
                                    height: Double, fill: String, label: String, labelBackdrop: Bool = false) {
        let x0 = plot.px(from), x1 = plot.px(to)
        doc.rect(x: x0, y: y, width: x1 - x0, height: height, fill: fill, stroke: "#ffffff", strokeWidth: 1)
        guard ChartPlot.textWidth(label, size: 11) + 8 <= x1 - x0 else { return }
        let cx = (x0 + x1) / 2
        if labelBackdrop {
            // The hatching would make a bare label unreadable.
            let w = ChartPlot.textWidth(label, size: 11) + 6
            doc.rect(x: cx - w / 2, y: y + height / 2 - 8, width: w, height: 15, fill: "#ffffff")
        }
        doc.text(label, x: cx, y: y + height / 2 + 4, size: 11, anchor: .middle)
    }
}
