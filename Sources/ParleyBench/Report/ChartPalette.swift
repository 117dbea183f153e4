// SPDX-License-Identifier: Apache-2.0

/// The colours the charts share, so one framework run has the same colour in every chart.
enum ChartPalette {
    /// Okabe–Ito, the colour-blind-safe set (its yellow left out: unreadable on white).
    static let series = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// Expected parts of a turn: quiet blues/greys, so the engine-added segment stands out.
    static let parts = ["#9DB9D3", "#5F8DB8", "#2F5F8A", "#B8B8B8", "#7D7D7D"]

    static let engineAdded = "#D55E00"
    static let engineAddedBackground = "#F6D3BF"
    static let axis = "#444444"
    static let grid = "#E3E3E3"
    static let mutedText = "#666666"

    /// The colour of the run at `index` in `BenchResults.runs`; beyond the palette the colours
    /// repeat, and `dash(forRunAt:)` tells those runs apart.
    static func color(forRunAt index: Int) -> String { series[index % series.count] }

    /// Solid for the first cycle through the palette, dashed after that.
    static func dash(forRunAt index: Int) -> String? { index < series.count ? nil : "6 3" }

    /// A framework's colour in the concurrency chart: that of its first run, so "pipecat" is
    /// the same colour there as in the latency charts.
    static func color(forFramework framework: String, in results: BenchResults) -> String {
        if let i = results.runs.firstIndex(where: { $0.framework == framework }) { return color(forRunAt: i) }
        // Not among the runs: the next colours after the runs' own.
        let onlyConcurrency = ChartFrameworks.ordered(results).filter { name in !results.runs.contains { $0.framework == name } }
        return color(forRunAt: results.runs.count + (onlyConcurrency.firstIndex(of: framework) ?? 0))
    }
}

/// The frameworks of the concurrency chart in a stable order: as the runs list them (Parley
/// first), then any that only have concurrency points, in the order they appear.
enum ChartFrameworks {
    static func ordered(_ results: BenchResults) -> [String] {
        var seen: [String] = []
        for name in results.runs.map(\.framework) + results.concurrency.map(\.framework) where !seen.contains(name) {
            seen.append(name)
        }
        return seen
    }
}
