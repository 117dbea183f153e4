// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Dispatch
import Foundation
import Logging
import ParleyBench
import ParleyCore

/// Options `bench run` and `bench compare` share.
struct BenchScenarioOptions: ParsableArguments {
    @Argument(help: "Scenario file (Benchmarks/Scenarios/*.yaml).") var scenario: String
    @Option(help: "Rounds (default: the scenario's `rounds`).") var rounds: Int?
    @Option(help: "Concurrent sessions (default: the scenario's `sessions`).") var sessions: Int?
    @Option(help: "Results folder (default: bench-results/<scenario>-<UTC time>).") var results: String?
    @Option(help: "Where the espeak-ng utterances are cached.") var fixtures = ".build/bench-fixtures"
    @Flag(help: "No progress bar.") var quiet = false
}

/// `parley bench run SCENARIO`: Parley alone.
struct BenchRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a bench scenario through Parley's real pipeline with simulated providers; write a report.",
        discussion: """
        Per turn: end of user speech in the input → first agent audio sample out (voice-to-voice), the \
        providers' and endpointing's share of it, and the engine-added rest; interruption stop times; CPU \
        and RSS per session. Benchmarks/Compare/PROTOCOL.md defines every figure. Ctrl-C stops early and \
        still writes the report of what finished.
        """)
    @OptionGroup var options: BenchScenarioOptions

    @Flag(help: "Also run Parley's tuned variant (preemptive generation).") var tuned = false

    func run() throws {
        try BenchCLI.execute(options, compare: false, parleyVariants: tuned ? ["default", "tuned"] : ["default"],
                             command: "parley bench run")
    }
}

/// `parley bench compare SCENARIO`: Parley, pipecat and livekit-agents, interleaved.
struct BenchCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run a scenario through Parley, pipecat and livekit-agents (defaults and tuned), interleaved; report ratios.",
        discussion: """
        The Python frameworks run from .bench-peers/venv (scripts/install-bench-peers installs the pinned \
        versions from PyPI) with fake providers written against their public base classes, reading the same \
        resolved scenario (same audio, same latency draws per round). Benchmarks/Compare/README.md says what \
        'defaults' and 'tuned' mean for each.
        """)
    @OptionGroup var options: BenchScenarioOptions
    @Option(help: "Frameworks to compare with Parley (comma-separated).") var frameworks = "pipecat,livekit-agents"
    @Option(help: "Variants of each framework (comma-separated).") var variants = "defaults,tuned"
    @Option(help: "The bench venv's python.") var python = ".bench-peers/venv/bin/python"

    func run() throws {
        var contenders: [PythonRunner] = []
        let scripts = ["pipecat": "Benchmarks/Compare/pipecat_runner.py",
                       "livekit-agents": "Benchmarks/Compare/livekit_agents_runner.py"]
        for f in frameworks.split(separator: ",").map(String.init) {
            guard let script = scripts[f] else {
                throw ValidationError("unknown framework '\(f)' (known: \(scripts.keys.sorted().joined(separator: ", ")))")
            }
            for v in variants.split(separator: ",").map(String.init) {
                guard ["defaults", "tuned"].contains(v) else { throw ValidationError("unknown variant '\(v)' (defaults, tuned)") }
                contenders.append(PythonRunner(framework: f, variant: v, script: script, python: python))
            }
        }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw CLIFailure(message: "\(python) not found: run scripts/install-bench-peers first", exitCode: 2)
        }
        try BenchCLI.execute(options, compare: true, python: contenders,
                             parleyVariants: variants.contains("tuned") ? ["default", "tuned"] : ["default"],
                             command: "parley bench compare")
    }
}

enum BenchCLI {
    static func execute(_ options: BenchScenarioOptions, compare: Bool, python: [PythonRunner] = [],
                        parleyVariants: [String] = ["default"], command: String) throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "parley.bench")
        logger.logLevel = .error
        let scenario: Scenario
        do { scenario = try Scenario.load(path: options.scenario) } catch {
            throw CLIFailure(message: "\(error)", exitCode: 2)
        }
        if let r = options.rounds, !(1...1000).contains(r) { throw ValidationError("--rounds must be in 1...1000") }
        if let s = options.sessions, !(1...10_000).contains(s) { throw ValidationError("--sessions must be in 1...10000") }
        let vad = defaultVAD
        var parleys: [ParleyRunner] = []
        for variant in parleyVariants {
            let made: (config: AgentConfig, endpointingMs: Double, settings: [String: String])
            do { made = try BenchAgentConfig.make(for: scenario, defaultVAD: vad, tuned: variant == "tuned") } catch {
                throw CLIFailure(message: "\(error)", exitCode: 2)
            }
            parleys.append(ParleyRunner(config: made.config, makeRegistry: { makeRegistry() }, endpointingMs: made.endpointingMs,
                                        settings: made.settings, version: parleyVersion(), logger: logger,
                                        opus: scenario.parley.opus, network: scenario.parley.network, variant: variant))
        }
        let timeline: FixtureBuilder.Timeline
        do { timeline = try FixtureBuilder(directory: URL(fileURLWithPath: options.fixtures)).build(scenario) } catch {
            throw CLIFailure(message: "fixtures: \(error)")
        }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let folder = URL(fileURLWithPath: options.results ?? "bench-results/\(scenario.name)-\(stamp)")
        let driver = BenchDriver(scenario: scenario, timeline: timeline,
                                 contenders: parleys.map { .parley($0) } + python.map { .python($0) },
                                 sessions: options.sessions ?? scenario.sessions, rounds: options.rounds ?? scenario.rounds,
                                 workDirectory: folder.appendingPathComponent("rounds"),
                                 command: ([command] + CommandLine.arguments.dropFirst(3)).joined(separator: " "))

        let (stop, source) = stopOnInterrupt()
        let bar = ProgressBar(enabled: !options.quiet && isatty(STDERR_FILENO) != 0)
        let results = driver.run(stop: stop) { message, fraction in bar.update(message, fraction) }
        bar.finish()
        source.cancel()

        let written: [URL]
        do { written = try ReportWriter.write(results, to: folder) } catch {
            throw CLIFailure(message: "cannot write the report to \(folder.path): \(error)")
        }
        for line in BenchSummary.lines(results) { print(line) }
        print("report: \(written.map(\.path).first { $0.hasSuffix(".md") } ?? folder.path)")
        if !results.complete { throw CLIFailure(message: "stopped early (partial report written)", exitCode: 130) }
        if results.runs.contains(where: { !$0.failures.isEmpty }) {
            throw CLIFailure(message: "some runs failed: " + results.notes.joined(separator: "; "))
        }
    }

    /// Silero when this build links the local engines (the VAD pipecat and livekit-agents use), else WebRTC.
    static var defaultVAD: String { makeRegistry().registration(for: "silero") != nil ? "silero" : "webrtc" }

    /// Ctrl-C sets the returned flag (the runs stop after what is running and the partial report
    /// is written) instead of killing the process; cancel the source when done.
    static func stopOnInterrupt() -> (StopFlag, any DispatchSourceSignal) {
        let stop = StopFlag()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            printError("\ninterrupted: finishing the current run and writing the partial report…")
            stop.set()
        }
        source.resume()
        return (stop, source)
    }

    /// The git commit this binary was run from, if it is run inside the repository.
    static func parleyVersion() -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "rev-parse", "--short", "HEAD"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return "dev" }
        p.waitUntilExit()
        let v = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return p.terminationStatus == 0 && !v.isEmpty ? "git \(v)" : "dev"
    }
}

/// One line on stderr, redrawn: `[██████····] 62%  round 2/3 pipecat (tuned)`.
final class ProgressBar: Sendable {
    private let enabled: Bool
    private let last = Mutex<Int>(-1)
    init(enabled: Bool) { self.enabled = enabled }

    func update(_ message: String, _ fraction: Double) {
        guard enabled else { return }
        let percent = Int((min(max(fraction, 0), 1) * 100).rounded(.down))
        let width = 30
        let filled = percent * width / 100
        let line = "\r[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            + "] \(String(format: "%3d", percent))%  \(message)"
        last.withLock { $0 = percent }
        FileHandle.standardError.write(Data((line.padding(toLength: 78, withPad: " ", startingAt: 0)).utf8))
    }

    func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }
}

import ParleyAgent
import Synchronization
