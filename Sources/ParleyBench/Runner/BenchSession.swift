// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyAgent
import ParleyCore
import Synchronization

/// One Parley session of a bench run: the real agent pipeline (`PipelineAssembler`, the turn
/// manager, playout pacing) with the simulated providers in its stt/llm/tts slots, fed live
/// input by the `InputFeeder` and watched at its output.
///
/// ```
///   InputFeeder ─push(frame k at t0+(k+1)·20 ms)─► [convert ─► VAD ─► sim STT ─► turn ─► sim LLM ─► sim TTS ─► playout] ─► output
///                                                                                                     │
///                                       OutputWatch: agent text (reply id → turn), agent audio times ◄─┘
/// ```
public final class BenchSession: Sendable {
    public let index: Int
    public let pipeline: Pipeline
    let watch: OutputWatch
    let providers: SimulatedProviders

    /// Builds the session's pipeline (not started).
    /// - Parameters:
    ///   - config: the agent config with `sim` providers in its slots (`BenchAgentConfig`).
    ///   - registry: this session's own registry (with the VAD and other local stages); its
    ///     simulated providers are registered into it, so it must not be shared between sessions.
    init(index: Int, scenario: ResolvedScenario, config: AgentConfig, registry: StageRegistry, opus: Bool,
         logger: Logger) throws {
        self.index = index
        providers = SimulatedProviders(scenario: scenario)
        for r in providers.registrations { registry.register(r) }
        // Through Opus the user arrives at 48 kHz, as from a room; else as the WAV is.
        let input = AudioFormat(sampleRate: opus ? 48_000 : scenario.input.sampleRate, channels: 1,
                                frameDurationMs: scenario.input.frameMs)
        let session = try PipelineAssembler(registry: registry, environment: [:])
            .buildSession(config, input: input, outputCaps: AudioCaps(sampleRates: [config.audio.sampleRate], channels: [1]),
                          pacedPlayout: true)
        let watch = OutputWatch(providers: providers, clock: SystemClock(), publish: opus ? try PublishPath() : nil)
        self.watch = watch
        pipeline = Pipeline(graph: session.graph, id: "bench-\(index)", clock: SystemClock(), policy: .realtime,
                            pacing: .realtime, source: nil, logger: logger,
                            output: { frame in watch.record(frame) }, events: { event in watch.record(event) })
        pipeline.setLiveInput()
    }
}

/// What left the pipeline, timed: per turn, the first and last agent audio frame. Runs on the
/// session's loop thread; read after the run.
///
/// `@unchecked Sendable`: `record` runs only on the session's loop thread (the pipeline's
/// output and event callbacks), the only place `publish` is used; the timings other threads
/// read are behind the mutex.
final class OutputWatch: @unchecked Sendable {
    struct Reply: Sendable {
        var first: Nanos
        var last: Nanos
        var gaps = 0
    }
    private struct State {
        var currentTurn: Int?
        var replies: [Int: Reply] = [:]
        /// The engine's own turn reports, in order (their clock times locate them).
        var reports: [(at: Nanos, report: TurnReport)] = []
    }
    private let state = Mutex(State())
    private let providers: SimulatedProviders
    private let clock: SystemClock
    /// Only touched on the loop thread (the output callback).
    private let publish: PublishPath?

    init(providers: SimulatedProviders, clock: SystemClock, publish: PublishPath?) {
        self.providers = providers
        self.clock = clock
        self.publish = publish
    }

    func record(_ frame: Frame) {
        switch frame {
        case .text(let t) where t.role == .agent:
            // SpeechOutput posts each text right before its first audio: the audio that follows is its turn's.
            if let id = t.replyID, let turn = providers.turn(ofReply: id) { state.withLock { $0.currentTurn = turn } }
        case .audio(let a) where a.role == .agent:
            let now = clock.now()
            publish?.publish(a)
            state.withLock { s in
                guard let turn = s.currentTurn else { return }
                if var r = s.replies[turn] {
                    // A gap of more than two frames inside a reply is a glitch the listener hears
                    // (the interrupted reply's pause is not: its reply stops there).
                    if now - r.last > 2 * a.duration + 5_000_000 { r.gaps += 1 }
                    r.last = now
                    s.replies[turn] = r
                } else {
                    s.replies[turn] = Reply(first: now, last: now)
                }
            }
        default:
            break
        }
    }

    func record(_ event: PipelineEvent) {
        if case .turn(let report) = event {
            let now = clock.now()
            state.withLock { $0.reports.append((now, report)) }
        }
    }

    var replies: [Int: Reply] { state.withLock { $0.replies } }

    /// The engine's breakdown of the turn whose first audio left at `firstAudio` (ms after the
    /// turn's end-of-speech decision, per stage), with the endpointing decision itself.
    func stages(firstAudio: Nanos) -> [String: Double]? {
        let reports = state.withLock { $0.reports }
        guard let r = reports.min(by: { abs($0.at - firstAudio) < abs($1.at - firstAudio) }),
              abs(r.at - firstAudio) < 50_000_000 else { return nil }
        var out: [String: Double] = [Metrics.endpointingStage: Double(r.report.endpointingDelay) / 1e6]
        for s in r.report.stageFirstOutput { out["→ " + s.stage] = Double(s.nanoseconds) / 1e6 }
        return out
    }
}
