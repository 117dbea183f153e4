// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyAgent
import ParleyAudio
import ParleyCore
import Synchronization

/// Runs one round of a scenario through Parley, in this process, and returns the raw records
/// (PROTOCOL.md) — the same records the Python runners write, measured the same way.
public struct ParleyRunner: Sendable {
    public var config: AgentConfig
    /// A fresh registry per session (the simulated providers are registered into it).
    public var makeRegistry: @Sendable () -> StageRegistry
    public var endpointingMs: Double
    public var settings: [String: String]
    public var version: String
    public var logger: Logger
    /// Subscribe and publish through Opus (and `network`, if set), as a room session does.
    public var opus: Bool
    /// A named network trace in front of the jitter buffer (implies `opus`).
    public var network: String?
    /// "default" (Parley as it ships) or "tuned" (its fastest honest settings).
    public var variant: String

    public init(config: AgentConfig, makeRegistry: @escaping @Sendable () -> StageRegistry, endpointingMs: Double,
                settings: [String: String], version: String, logger: Logger, opus: Bool = false, network: String? = nil,
                variant: String = "default") {
        self.variant = variant
        self.config = config; self.makeRegistry = makeRegistry; self.endpointingMs = endpointingMs
        self.settings = settings; self.version = version; self.logger = logger
        self.opus = opus || network != nil; self.network = network
        if self.opus {
            // Network traces are not yet trustworthy here: the jitter buffer's frames are pushed on the
            // send-time grid, and the turn reports stop matching (issue 8 notes).
            self.settings["media"] = "Opus subscribe (jitter buffer, 48 kHz decode) + publish (encode)"
                + (network.map { ", network \($0) (experimental)" } ?? "")
        }
    }

    public struct Failure: Error, CustomStringConvertible { public var description: String }

    /// Runs `sessions` concurrent sessions of `scenario`. `progress` is called about every
    /// 100 ms with the fraction done; `stop` is polled (Ctrl-C), ending the round early with
    /// what was measured so far.
    public func run(_ scenario: ResolvedScenario, sessions count: Int, stop: StopFlag,
                    progress: (Double) -> Void = { _ in }) throws -> [RawRecord] {
        let wav: WAVFile
        do { wav = try WAVReader.read(path: scenario.input.wav) } catch { throw Failure(description: "\(error)") }
        guard wav.format.channels == 1, wav.format.sampleRate == scenario.input.sampleRate else {
            throw Failure(description: "\(scenario.input.wav): expected mono \(scenario.input.sampleRate) Hz")
        }
        let before = ProcessResources.now()
        let baseline = ProcessBaseline.rssMB
        var sessions: [BenchSession] = []
        for i in 0..<count {
            do {
                sessions.append(try BenchSession(index: i, scenario: scenario, config: config, registry: makeRegistry(),
                                                 opus: opus, logger: logger))
            } catch { throw Failure(description: "session \(i): \(error)") }
        }
        for s in sessions { try s.pipeline.start() }
        let format = AudioFormat(sampleRate: scenario.input.sampleRate, channels: 1, frameDurationMs: scenario.input.frameMs)
        var paths: [SubscribePath?] = Array(repeating: nil, count: count)
        if opus {
            do {
                let packets = try SubscribePath.encode(wav.samples, sampleRate: wav.format.sampleRate)
                let trace = network.flatMap { NamedTraces.model(named: $0, duration: Nanos(wav.duration * 1e9) + 30_000_000_000) }
                for i in 0..<count {
                    paths[i] = try SubscribePath(packets: packets, network: trace?.generate(seed: scenario.seed &+ UInt64(i)))
                }
            } catch { throw Failure(description: "opus: \(error)") }
        }
        let feeder = InputFeeder(samples: wav.samples, format: format, sessions: sessions.map(\.pipeline), paths: paths)
        let wallStart = Date()
        feeder.start()

        // The input (its tail leaves room for the last reply), then until the agents are quiet.
        let clock = SystemClock()
        let inputEnd = feeder.t0 + Nanos(wav.duration * 1e9)
        let deadline = inputEnd + 20_000_000_000
        while clock.now() < deadline && !stop.isSet {
            let now = clock.now()
            if now >= inputEnd {
                let lastAudio = sessions.map { $0.watch.replies.values.map(\.last).max() ?? 0 }.max() ?? 0
                if now - lastAudio > 1_000_000_000 { break }
            }
            progress(min(1, Double(now - feeder.t0) / Double(inputEnd - feeder.t0)))
            usleep(100_000)
        }
        feeder.stop()
        feeder.waitUntilStopped()
        let afterRun = ProcessResources.now()
        let wall = Date().timeIntervalSince(wallStart)
        // Real time: frames the engine dropped on a full queue, and glitches in agent audio.
        let dropped = sessions.reduce(0) { $0 + Int($1.pipeline.stats()?.totalDropped ?? 0) }
        for s in sessions { s.pipeline.cancel() }
        for s in sessions { _ = s.pipeline.waitBlocking() }
        progress(1)

        var records: [RawRecord] = [.runStart(.init(framework: "parley", variant: variant, version: version,
                                                     endpointingMs: endpointingMs, settings: settings,
                                                     pid: Int(getpid())))]
        let frameMs = Double(scenario.input.frameMs)
        // When the frame holding the sample at `ms` on the input timeline was pushed (ms after t0).
        func frameTime(ofSampleAtMs ms: Double) -> Double? {
            feeder.pushTime(ofFrame: max(0, Int((ms / frameMs).rounded(.down)))).map { Double($0 - feeder.t0) / 1e6 }
        }
        for s in sessions {
            let replies = s.watch.replies
            for turn in scenario.turns {
                if turn.bargeIn {
                    guard let trigger = frameTime(ofSampleAtMs: turn.speechStartMs + scenario.interruptionMinMs)
                    else { continue }
                    // The reply that was playing when the user started speaking over it; it
                    // may stop before the trigger (a VAD that pauses playout early).
                    guard let onset = frameTime(ofSampleAtMs: turn.speechStartMs) else { continue }
                    let onsetAt = feeder.t0 + Nanos(onset * 1e6)
                    let playing = replies.filter { $0.key < turn.index && $0.value.first <= onsetAt && $0.value.last >= onsetAt }
                    let stop = playing.max(by: { $0.key < $1.key }).map { Double($0.value.last - feeder.t0) / 1e6 }
                    records.append(.interruption(.init(session: s.index, turn: turn.index, triggerMs: trigger, stopMs: stop)))
                } else {
                    guard let end = frameTime(ofSampleAtMs: turn.speechEndMs - 0.01) else { continue }
                    let reply = replies[turn.index]
                    let first = reply.map { Double($0.first - feeder.t0) / 1e6 }
                    records.append(.turn(.init(session: s.index, turn: turn.index, speechEndMs: end, firstAudioMs: first,
                                               stages: reply.flatMap { s.watch.stages(firstAudio: $0.first) })))
                }
            }
        }
        records.append(.resources(.init(sessions: count, cpuSeconds: afterRun.cpuSeconds - before.cpuSeconds,
                                        wallSeconds: wall, rssMB: afterRun.peakRSSMB,
                                        rssMBPerSession: max(0, afterRun.rssMB - baseline) / Double(count))))
        let interrupted = Set(records.compactMap { r -> Int? in
            if case .interruption(let i) = r, i.stopMs != nil { return i.turn - 1 } else { return nil }
        })
        let gaps = sessions.reduce(0) { total, s in
            total + s.watch.replies.filter { !interrupted.contains($0.key) }.reduce(0) { $0 + $1.value.gaps }
        }
        records.append(.runEnd(.init(framesLate: feeder.framesLate + dropped + gaps, inputLate: feeder.framesLate,
                                     dropped: dropped, outputGaps: gaps)))
        return records
    }
}

/// The process's RSS before its first bench session: what a session's memory is counted from.
/// Freed memory stays in the process (the allocator keeps it), so "RSS now − RSS before this
/// run" would undercount every run after the first; "RSS now − this baseline" counts all the
/// memory sessions hold or held, which for a run smaller than an earlier one overstates (a
/// conservative figure).
enum ProcessBaseline {
    static let rssMB = ProcessResources.now().rssMB
}
