// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Foundation
import Logging
import ParleyAgent
import ParleyBench
import ParleyCore

/// `parley bench capacity SCENARIO`: how many real-time sessions this machine (or the CPUs it
/// is pinned to: `taskset -c 0 parley bench capacity …` for one core) runs.
struct BenchCapacityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Find the largest number of concurrent real-time sessions (CPU and RSS per session at each step).",
        discussion: """
        Doubles the session count from --start until a run misses real time (late input frame, dropped \
        frame, glitch in agent audio, unanswered turn), then bisects. Pin it to one core with \
        `taskset -c 0` to measure sessions per core. Writes the same report as `bench run`, with the \
        sessions-vs-CPU chart.
        """)
    @Argument(help: "Scenario file (Benchmarks/Scenarios/capacity.yaml is made for this).") var scenario: String
    @Option(help: "Sessions of the first run.") var start = 8
    @Option(help: "Never run more sessions than this.") var max = 1024
    @Option(help: "Results folder (default: bench-results/<scenario>-capacity-<UTC time>).") var results: String?
    @Option(help: "Where the espeak-ng utterances are cached.") var fixtures = ".build/bench-fixtures"
    @Flag(help: "No progress bar.") var quiet = false

    /// CPUs this process may run on (/proc/self/status `Cpus_allowed_list`, e.g. "0" or "0-1").
    static func allowedCPUs() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        var count = 0
        for part in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let ends = part.split(separator: "-").compactMap { Int($0) }
            count += ends.count == 2 ? ends[1] - ends[0] + 1 : 1
        }
        return count
    }

    func validate() throws {
        guard (1...100_000).contains(start), (start...100_000).contains(max) else {
            throw ValidationError("need 1 ≤ --start ≤ --max ≤ 100000")
        }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "parley.bench")
        logger.logLevel = .error
        let loaded: Scenario
        do { loaded = try Scenario.load(path: scenario) } catch { throw CLIFailure(message: "\(error)", exitCode: 2) }
        let made: (config: AgentConfig, endpointingMs: Double, settings: [String: String])
        do { made = try BenchAgentConfig.make(for: loaded, defaultVAD: BenchCLI.defaultVAD) } catch {
            throw CLIFailure(message: "\(error)", exitCode: 2)
        }
        let timeline: FixtureBuilder.Timeline
        do { timeline = try FixtureBuilder(directory: URL(fileURLWithPath: fixtures)).build(loaded) } catch {
            throw CLIFailure(message: "fixtures: \(error)")
        }
        let runner = ParleyRunner(config: made.config, makeRegistry: { makeRegistry() }, endpointingMs: made.endpointingMs,
                                  settings: made.settings, version: BenchCLI.parleyVersion(), logger: logger,
                                  opus: loaded.parley.opus, network: loaded.parley.network)
        let resolved = ScenarioResolver.resolve(loaded, timeline: timeline, round: 1)
        let (stop, source) = BenchCLI.stopOnInterrupt()
        let bar = ProgressBar(enabled: !quiet && isatty(STDERR_FILENO) != 0)
        let started = Date()
        let outcome = CapacitySearch(runner: runner, scenario: resolved, start: start, max: max)
            .run(stop: stop) { message, fraction in bar.update(message, fraction) }
        bar.finish()
        source.cancel()

        let pinned = Self.allowedCPUs() ?? ProcessInfo.processInfo.activeProcessorCount
        var notes = ["CPUs this process may use: \(pinned)" + (pinned == 1 ? " (pinned: sessions per core)" : " (pin with taskset -c 0 for one core)")]
        if let best = outcome.largestRealtime, let p = outcome.points.first(where: { $0.sessions == best }) {
            notes.append(String(format: "largest real-time session count: %d (%.1f%% CPU, %.2f MB RSS per session)",
                                best, p.cpuPercent, p.rssMBPerSession))
        } else {
            notes.append("no session count kept real time")
        }
        for (n, end) in outcome.lateness.sorted(by: { $0.key < $1.key }) where end.framesLate > 0 {
            notes.append("\(n) sessions: \(end.inputLate ?? 0) input frames late, \(end.dropped ?? 0) dropped, "
                         + "\(end.outputGaps ?? 0) gaps in agent audio")
        }
        var runs: [FrameworkRun] = []
        if let best = outcome.largestRealtime, let r = outcome.runs[best] { runs = [r] }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let folder = URL(fileURLWithPath: results ?? "bench-results/\(loaded.name)-capacity-\(stamp)")
        let report = BenchResults(scenario: loaded.name, scenarioFile: scenario, command: (["parley bench capacity"] + CommandLine.arguments.dropFirst(3)).joined(separator: " "),
                                  startedAt: started, finishedAt: Date(), complete: outcome.complete, notes: notes,
                                  machine: .current(), versions: ["parley": BenchCLI.parleyVersion()], runs: runs,
                                  concurrency: outcome.points)
        let written: [URL]
        do { written = try ReportWriter.write(report, to: folder) } catch {
            throw CLIFailure(message: "cannot write the report to \(folder.path): \(error)")
        }
        print("sessions   CPU % of a core   RSS MB/session   real time   frames late   v2v p95 ms")
        for p in outcome.points {
            print(String(format: "%8d   %15.1f   %14.2f   %9@   %11d   %10@", p.sessions, p.cpuPercent, p.rssMBPerSession,
                         p.realtime ? "yes" : "no", p.framesLate, p.voiceToVoiceP95Ms.map { String(format: "%.1f", $0) } ?? "—"))
        }
        for n in notes { print(n) }
        print("report: \(written.first { $0.lastPathComponent == "report.md" }?.path ?? folder.path)")
        if !outcome.complete { throw CLIFailure(message: "stopped early (partial report written)", exitCode: 130) }
    }
}
