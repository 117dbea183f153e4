// SPDX-License-Identifier: Apache-2.0

/// The frame every x/y chart shares: the plot rectangle, its scales, grid, ticks, axis titles
/// and the chart heading, so the three charts look like one family and differ only in data.
struct ChartPlot: Sendable {
    let left: Double
    let top: Double
    let width: Double
    let height: Double
    let x: ChartScale
    let y: ChartScale

    var right: Double { left + width }
    var bottom: Double { top + height }

    /// Data → pixels. Values outside the scale are clamped to the frame, so a stray outlier
    /// can never draw over the legend or the axis labels.
    func px(_ value: Double) -> Double { left + min(max(x.fraction(value), 0), 1) * width }
    func py(_ value: Double) -> Double { bottom - min(max(y.fraction(value), 0), 1) * height }

    /// Grid lines at every tick, the two axes, tick labels and the axis titles. A zero line is
    /// drawn darker when zero falls inside the x range (engine-added can be negative).
    func drawAxes(_ doc: inout SVGDocument, xTitle: String, yTitle: String) {
        for t in x.ticks {
            let xp = px(t)
            doc.line(x1: xp, y1: top, x2: xp, y2: bottom, stroke: ChartPalette.grid)
            doc.line(x1: xp, y1: bottom, x2: xp, y2: bottom + 5, stroke: ChartPalette.axis)
            doc.text(x.label(t), x: xp, y: bottom + 19, size: 11, anchor: .middle)
        }
        for t in y.ticks {
            let yp = py(t)
            doc.line(x1: left, y1: yp, x2: right, y2: yp, stroke: ChartPalette.grid)
            doc.line(x1: left - 5, y1: yp, x2: left, y2: yp, stroke: ChartPalette.axis)
            doc.text(y.label(t), x: left - 8, y: yp + 4, size: 11, anchor: .end)
        }
        if x.lower < 0 && x.upper > 0 {
            doc.line(x1: px(0), y1: top, x2: px(0), y2: bottom, stroke: ChartPalette.axis, width: 1)
        }
        doc.line(x1: left, y1: bottom, x2: right, y2: bottom, stroke: ChartPalette.axis, width: 1.5)
        doc.line(x1: left, y1: top, x2: left, y2: bottom, stroke: ChartPalette.axis, width: 1.5)
        doc.text(xTitle, x: left + width / 2, y: bottom + 40, size: 12, anchor: .middle)
        doc.text(yTitle, x: left - 48, y: top + height / 2, size: 12, anchor: .middle, rotate: -90)
    }

    /// A second y axis on the right (the concurrency chart's RSS per session).
    func drawRightAxis(_ doc: inout SVGDocument, scale: ChartScale, title: String) {
        doc.line(x1: right, y1: top, x2: right, y2: bottom, stroke: ChartPalette.axis, width: 1.5)
        for t in scale.ticks {
            let yp = bottom - min(max(scale.fraction(t), 0), 1) * height
            doc.line(x1: right, y1: yp, x2: right + 5, y2: yp, stroke: ChartPalette.axis)
            doc.text(scale.label(t), x: right + 8, y: yp + 4, size: 11)
        }
        doc.text(title, x: right + 52, y: top + height / 2, size: 12, anchor: .middle, rotate: 90)
    }

    /// The title, and under it a one-line note saying how to read the chart.
    static func drawHeading(_ doc: inout SVGDocument, title: String, subtitle: String?) {
        doc.text(title, x: 20, y: 28, size: 17, weight: "bold")
        if let subtitle { doc.text(subtitle, x: 20, y: 48, size: 12, fill: ChartPalette.mutedText) }
    }

    /// A centred message for a chart with nothing to plot, so the file still says why it is
    /// empty instead of showing bare axes.
    func drawNoData(_ doc: inout SVGDocument, _ message: String) {
        doc.text(message, x: left + width / 2, y: top + height / 2, size: 14, anchor: .middle, fill: ChartPalette.mutedText)
    }

    /// Rough text width for layout decisions (DejaVu Sans averages ~0.6 em per character);
    /// only used to decide whether a label fits, never for exact placement.
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.6 }
}
