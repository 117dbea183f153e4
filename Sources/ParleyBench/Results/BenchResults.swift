// SPDX-License-Identifier: Apache-2.0

import Foundation

/// Everything one `parley bench run` or `parley bench compare` measured: what the report and
/// the charts are drawn from, and what `results.json` holds.
public struct BenchResults: Codable, Sendable {
    public var scenario: String
    public var scenarioFile: String
    public var command: String
    public var startedAt: Date
    public var finishedAt: Date
    /// False when the run was stopped early (Ctrl-C, a runner that failed): the figures cover
    /// what finished.
    public var complete: Bool
    public var notes: [String]
    public var machine: MachineInfo
    /// Framework name → version ("parley" → its git commit, "pipecat-ai" → "1.14.0", …).
    public var versions: [String: String]
    /// One per framework variant, in the order they are compared (Parley first).
    public var runs: [FrameworkRun]
    /// Sessions-vs-CPU points (`--sessions`, and the concurrency search), per framework.
    public var concurrency: [ConcurrencyPoint]

    public init(scenario: String, scenarioFile: String, command: String, startedAt: Date, finishedAt: Date,
                complete: Bool, notes: [String] = [], machine: MachineInfo, versions: [String: String],
                runs: [FrameworkRun], concurrency: [ConcurrencyPoint] = []) {
        self.scenario = scenario; self.scenarioFile = scenarioFile; self.command = command
        self.startedAt = startedAt; self.finishedAt = finishedAt; self.complete = complete; self.notes = notes
        self.machine = machine; self.versions = versions; self.runs = runs; self.concurrency = concurrency
    }
}

/// The machine the figures were measured on.
public struct MachineInfo: Codable, Sendable, Hashable {
    public var cpuModel: String
    public var cores: Int
    public var memoryGB: Double
    public var os: String
    public var kernel: String
    public init(cpuModel: String, cores: Int, memoryGB: Double, os: String, kernel: String) {
        self.cpuModel = cpuModel; self.cores = cores; self.memoryGB = memoryGB; self.os = os; self.kernel = kernel
    }
}

/// One framework in one configuration ("parley"/"default", "pipecat"/"defaults",
/// "pipecat"/"tuned", …), over every round it ran.
public struct FrameworkRun: Codable, Sendable, Hashable {
    public var framework: String
    public var variant: String
    public var version: String
    /// What the variant means ("vad" → "silero stop_secs=0.2", …).
    public var settings: [String: String]
    public var endpointingMs: Double
    public var turns: [TurnResult]
    public var interruptions: [InterruptionResult]
    /// Per round: CPU and memory of the process over the run.
    public var resources: [RawRecord.Resources]
    /// Rounds that failed (the runner's error), so a partial comparison says so.
    public var failures: [String]

    public init(framework: String, variant: String, version: String, settings: [String: String], endpointingMs: Double,
                turns: [TurnResult] = [], interruptions: [InterruptionResult] = [],
                resources: [RawRecord.Resources] = [], failures: [String] = []) {
        self.framework = framework; self.variant = variant; self.version = version; self.settings = settings
        self.endpointingMs = endpointingMs; self.turns = turns; self.interruptions = interruptions
        self.resources = resources; self.failures = failures
    }

    /// "parley", "pipecat (defaults)", "pipecat (tuned)".
    public var label: String { variant == "default" ? framework : "\(framework) (\(variant))" }
}

/// One answered (or unanswered) user turn.
public struct TurnResult: Codable, Sendable, Hashable {
    public var round: Int
    public var session: Int
    public var turn: Int
    /// End of user speech in the input → first agent audio sample out; nil: no reply came.
    public var voiceToVoiceMs: Double?
    /// What providers and configured endpointing account for (PROTOCOL.md, "Metrics").
    public var expectedMs: Double
    /// voiceToVoice − expected.
    public var engineAddedMs: Double?
    /// The expected time split into its parts, for the stacked bars:
    /// "endpointing/STT", "LLM first sentence", "TTS first byte".
    public var parts: [Part]
    /// Parley only (from the engine's turn report): how much later than the speech really
    /// ended the VAD put its end of speech — the VAD model's share of engine-added.
    public var vadLagMs: Double?

    public struct Part: Codable, Sendable, Hashable {
        public var name: String
        public var ms: Double
        public init(name: String, ms: Double) { self.name = name; self.ms = ms }
    }

    public init(round: Int, session: Int, turn: Int, voiceToVoiceMs: Double?, expectedMs: Double,
                engineAddedMs: Double?, parts: [Part]) {
        self.round = round; self.session = session; self.turn = turn; self.voiceToVoiceMs = voiceToVoiceMs
        self.expectedMs = expectedMs; self.engineAddedMs = engineAddedMs; self.parts = parts
    }

    /// Engine-added without the VAD model's lag (Parley only).
    public var engineAddedNetOfVADMs: Double? {
        guard let added = engineAddedMs, let lag = vadLagMs else { return nil }
        return added - lag
    }
}

/// A barge-in: from `interruption_min_ms` into the user's speech to the agent's audio stopping.
public struct InterruptionResult: Codable, Sendable, Hashable {
    public var round: Int
    public var session: Int
    public var turn: Int
    /// nil: the reply played on to its end.
    public var stopMs: Double?
    public init(round: Int, session: Int, turn: Int, stopMs: Double?) {
        self.round = round; self.session = session; self.turn = turn; self.stopMs = stopMs
    }
}

/// One point of the sessions-vs-CPU curve.
public struct ConcurrencyPoint: Codable, Sendable, Hashable {
    public var framework: String
    public var sessions: Int
    /// Process CPU as a share of one core (100 = one core busy).
    public var cpuPercent: Double
    public var rssMB: Double
    public var rssMBPerSession: Double
    /// Every session kept up with real time: no input frame processed late, no output gap.
    public var realtime: Bool
    public var framesLate: Int
    public var voiceToVoiceP95Ms: Double?

    public init(framework: String, sessions: Int, cpuPercent: Double, rssMB: Double, rssMBPerSession: Double,
                realtime: Bool, framesLate: Int, voiceToVoiceP95Ms: Double?) {
        self.framework = framework; self.sessions = sessions; self.cpuPercent = cpuPercent; self.rssMB = rssMB
        self.rssMBPerSession = rssMBPerSession; self.realtime = realtime; self.framesLate = framesLate
        self.voiceToVoiceP95Ms = voiceToVoiceP95Ms
    }
}

/// Percentiles the report prints (nearest rank on sorted values).
public enum Percentile {
    public static func of(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
