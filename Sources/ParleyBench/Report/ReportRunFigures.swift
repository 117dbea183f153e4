// SPDX-License-Identifier: Apache-2.0

/// The figures the report and the charts print for one framework run, computed once from the
/// raw results so the summary table and the stacked bars can never disagree. Every median
/// and percentile is `Percentile.of` (nearest rank), the definition results.json readers get.
struct ReportRunFigures: Sendable {
    let label: String
    let answered: Int
    let total: Int
    let voiceToVoice: [Double]
    let engineAdded: [Double]
    let interruptionStops: [Double]
    let interruptions: Int
    /// Median of each expected part, in the order the parts first appear.
    let partMedians: [(name: String, ms: Double)]
    /// Mean process CPU seconds per round, and CPU as a share of one core over all rounds.
    let cpuSecondsPerRound: Double?
    let cpuPercentOfCore: Double?
    let peakRSSMB: Double?

    init(_ run: FrameworkRun) {
        label = run.label
        total = run.turns.count
        let answeredTurns = run.turns.filter { $0.voiceToVoiceMs != nil }
        answered = answeredTurns.count
        voiceToVoice = answeredTurns.compactMap(\.voiceToVoiceMs).filter(\.isFinite)
        engineAdded = answeredTurns.compactMap(\.engineAddedMs).filter(\.isFinite)
        interruptions = run.interruptions.count
        interruptionStops = run.interruptions.compactMap(\.stopMs).filter(\.isFinite)

        // The bar shows the turn the framework actually answered; with no answer at all the
        // expected parts still say what the providers alone would have taken.
        let partSource = answeredTurns.isEmpty ? run.turns : answeredTurns
        var order: [String] = []
        var values: [String: [Double]] = [:]
        for turn in partSource {
            for part in turn.parts where part.ms.isFinite {
                if values[part.name] == nil { order.append(part.name) }
                values[part.name, default: []].append(part.ms)
            }
        }
        partMedians = order.map { name in (name, Percentile.of(values[name] ?? [], 50) ?? 0) }

        let rounds = run.resources.filter { $0.cpuSeconds.isFinite && $0.wallSeconds.isFinite }
        if rounds.isEmpty {
            cpuSecondsPerRound = nil; cpuPercentOfCore = nil
        } else {
            let cpu = rounds.reduce(0) { $0 + $1.cpuSeconds }
            let wall = rounds.reduce(0) { $0 + $1.wallSeconds }
            cpuSecondsPerRound = cpu / Double(rounds.count)
            cpuPercentOfCore = wall > 0 ? cpu / wall * 100 : nil
        }
        peakRSSMB = run.resources.map(\.rssMB).filter(\.isFinite).max()
    }

    var voiceToVoiceP50: Double? { Percentile.of(voiceToVoice, 50) }
    var voiceToVoiceP95: Double? { Percentile.of(voiceToVoice, 95) }
    var engineAddedP50: Double? { Percentile.of(engineAdded, 50) }
    var engineAddedP95: Double? { Percentile.of(engineAdded, 95) }
    var interruptionP50: Double? { Percentile.of(interruptionStops, 50) }
    var interruptionP95: Double? { Percentile.of(interruptionStops, 95) }

    /// The sum of the expected parts' medians: where the engine-added segment starts.
    var expectedMedianTotal: Double { partMedians.reduce(0) { $0 + $1.ms } }
}
