// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Runs a scenario round by round through every contender, interleaved (round r: Parley,
/// then each framework variant, the order rotated each round so none always runs first on a
/// warm machine), and gathers the results. Stopping (Ctrl-C) ends the current round's
/// contender early and keeps everything measured so far.
///
/// ```
///   for round in 1…rounds:  resolve (draws) ─► round-r.json ─► contender₁ … contenderₙ ─► raw records ─► Metrics
/// ```
public struct BenchDriver {
    public enum Contender: Sendable {
        case parley(ParleyRunner)
        case python(PythonRunner)

        var label: String {
            switch self {
            case .parley(let p): return p.variant == "default" ? "parley" : "parley (\(p.variant))"
            case .python(let p): return p.label
            }
        }
    }

    public var scenario: Scenario
    public var timeline: FixtureBuilder.Timeline
    public var contenders: [Contender]
    public var sessions: Int
    public var rounds: Int
    public var workDirectory: URL
    public var command: String

    public init(scenario: Scenario, timeline: FixtureBuilder.Timeline, contenders: [Contender], sessions: Int,
                rounds: Int, workDirectory: URL, command: String) {
        self.scenario = scenario; self.timeline = timeline; self.contenders = contenders; self.sessions = sessions
        self.rounds = rounds; self.workDirectory = workDirectory; self.command = command
    }

    /// `progress(message, fraction of the whole run)`.
    public func run(stop: StopFlag, progress: (String, Double) -> Void) -> BenchResults {
        let started = Date()
        var runs: [String: FrameworkRun] = [:]
        var order: [String] = contenders.map(\.label)
        var notes: [String] = []
        var versions: [String: String] = [:]
        var concurrency: [ConcurrencyPoint] = []
        var complete = true
        let steps = Double(rounds * contenders.count)
        try? FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        outer: for round in 1...rounds {
            let resolved = ScenarioResolver.resolve(scenario, timeline: timeline, round: round)
            let scenarioFile = workDirectory.appendingPathComponent("round-\(round).json")
            do {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                try encoder.encode(resolved).write(to: scenarioFile, options: .atomic)
            } catch {
                notes.append("round \(round): cannot write \(scenarioFile.path): \(error)")
                complete = false
                break
            }
            let shift = (round - 1) % max(contenders.count, 1)
            let turnOrder = Array(contenders[shift...] + contenders[..<shift])
            for (i, contender) in turnOrder.enumerated() {
                if stop.isSet { complete = false; break outer }
                let label = contender.label
                let done = Double((round - 1) * contenders.count + i)
                progress("round \(round)/\(rounds) \(label)", done / steps)
                var records: [RawRecord] = []
                do {
                    switch contender {
                    case .parley(let runner):
                        records = try runner.run(resolved, sessions: sessions, stop: stop) { f in
                            progress("round \(round)/\(rounds) \(label)", (done + f) / steps)
                        }
                        // Parley's raw records beside the frameworks', in the same form.
                        let out = workDirectory.appendingPathComponent("round-\(round)-parley-\(runner.variant).jsonl")
                        try? (records.map(RawRecordCodec.encode).joined(separator: "\n") + "\n")
                            .write(to: out, atomically: true, encoding: .utf8)
                    case .python(let runner):
                        let out = workDirectory.appendingPathComponent("round-\(round)-\(runner.framework)-\(runner.variant).jsonl")
                        records = try runner.run(scenarioFile: scenarioFile.path, recordsFile: out.path,
                                                 sessions: sessions, stop: stop)
                    }
                    var run = runs[label]
                    try Metrics.accumulate(records, scenario: resolved, into: &run)
                    runs[label] = run
                    if let r = run { versions[r.framework] = r.version }
                    if let res = records.resources, let r = run {
                        concurrency.append(Self.point(r.label, res, records: records))
                    }
                } catch {
                    notes.append("round \(round), \(label): \(error)")
                    var run = runs[label] ?? FrameworkRun(framework: label, variant: "default", version: "?", settings: [:],
                                                          endpointingMs: 0)
                    run.failures.append("round \(round): \(error)")
                    runs[label] = run
                }
                if stop.isSet { complete = false; break outer }
            }
        }
        if !complete { notes.append("stopped early: the figures cover the rounds that finished") }
        order = order.filter { runs[$0] != nil }
        return BenchResults(scenario: scenario.name, scenarioFile: scenario.file, command: command, startedAt: started,
                            finishedAt: Date(), complete: complete, notes: notes, machine: .current(), versions: versions,
                            runs: order.compactMap { runs[$0] }, concurrency: Self.merged(concurrency))
    }

    /// A sessions-vs-CPU point from one round's resources record.
    static func point(_ framework: String, _ r: RawRecord.Resources, records: [RawRecord]) -> ConcurrencyPoint {
        var late = 0
        var answered = 0, asked = 0
        var v2v: [Double] = []
        for rec in records {
            switch rec {
            case .runEnd(let e): late = e.framesLate
            case .turn(let t):
                asked += 1
                if let f = t.firstAudioMs { answered += 1; v2v.append(f - t.speechEndMs) }
            default: break
            }
        }
        return ConcurrencyPoint(framework: framework, sessions: r.sessions,
                                cpuPercent: r.wallSeconds > 0 ? r.cpuSeconds / r.wallSeconds * 100 : 0,
                                rssMB: r.rssMB, rssMBPerSession: r.rssMBPerSession ?? r.rssMB / Double(max(r.sessions, 1)),
                                realtime: late == 0 && answered == asked, framesLate: late,
                                voiceToVoiceP95Ms: Percentile.of(v2v, 95))
    }

    /// One point per framework and session count (the mean of its rounds; real time only if every round was).
    static func merged(_ points: [ConcurrencyPoint]) -> [ConcurrencyPoint] {
        var groups: [String: [ConcurrencyPoint]] = [:]
        var keys: [String] = []
        for p in points {
            let key = "\(p.framework)#\(p.sessions)"
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(p)
        }
        return keys.map { key in
            let g = groups[key]!
            let n = Double(g.count)
            return ConcurrencyPoint(framework: g[0].framework, sessions: g[0].sessions,
                                    cpuPercent: g.map(\.cpuPercent).reduce(0, +) / n, rssMB: g.map(\.rssMB).max() ?? 0,
                                    rssMBPerSession: g.map(\.rssMBPerSession).reduce(0, +) / n,
                                    realtime: g.allSatisfy(\.realtime), framesLate: g.map(\.framesLate).reduce(0, +),
                                    voiceToVoiceP95Ms: g.compactMap(\.voiceToVoiceP95Ms).max())
        }
    }
}
