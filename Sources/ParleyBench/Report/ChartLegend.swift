// SPDX-License-Identifier: Apache-2.0

/// A legend: a column of swatches with labels, drawn where the chart puts it (right of the
/// plot, so it never hides a line).
struct ChartLegend: Sendable {
    enum Swatch: Sendable {
        /// A line segment, solid or dashed.
        case line(color: String, dash: String?)
        /// A filled box (stacked-bar parts; the fill may be a pattern).
        case box(fill: String)
        /// A point marker; hollow marks the concurrency points that were not real time.
        case marker(color: String, hollow: Bool)
    }

    struct Entry: Sendable {
        var label: String
        var swatch: Swatch
        /// A second, muted line under the label ("p50 812.0 ms, n=40").
        var detail: String? = nil
    }

    var entries: [Entry]
    var lineHeight: Double = 20

    /// Draws the entries top-down from (`x`, `y`); returns the y below the last one.
    @discardableResult
    func draw(_ doc: inout SVGDocument, x: Double, y: Double) -> Double {
        var row = y
        for entry in entries {
            let mid = row - 4
            switch entry.swatch {
            case let .line(color, dash):
                doc.line(x1: x, y1: mid, x2: x + 24, y2: mid, stroke: color, width: 2.5, dash: dash)
            case let .box(fill):
                doc.rect(x: x + 2, y: mid - 7, width: 20, height: 14, fill: fill, stroke: ChartPalette.axis, strokeWidth: 0.5)
            case let .marker(color, hollow):
                doc.circle(cx: x + 12, cy: mid, r: 4.5, fill: hollow ? "#ffffff" : color, stroke: color, strokeWidth: 2)
            }
            doc.text(entry.label, x: x + 32, y: row, size: 12)
            if let detail = entry.detail {
                row += 15
                doc.text(detail, x: x + 32, y: row, size: 11, fill: ChartPalette.mutedText)
            }
            row += lineHeight
        }
        return row
    }
}
