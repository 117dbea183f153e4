// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
#if canImport(Glibc)
import Glibc
#endif

/// One provider stage, built from config through the registry like `parley run` builds it, in an
/// `EmbeddedPipeline` on the system clock. Provider replies arrive on network threads through
/// the stage's mailbox, so `run(until:)` turns the loop until a condition holds or a deadline passes.
///
/// ```
///   push(frames) ─► [stage under test] ─► outputs      (run(until:) polls every 2 ms)
/// ```
public final class LiveStageHarness {
    public let stage: any Stage
    public let pipeline: EmbeddedPipeline

    /// `yaml`: the slot's value as it would appear in a config file, e.g.
    /// `{ provider: deepgram/nova-3:en, base_url: "ws://127.0.0.1:5000/s/t1/ok" }`.
    public init(kind: StageKind, yaml: String, registrations: [StageRegistration], input: AudioFormat = .standard,
                environment: [String: String] = [:]) throws {
        let registry = StageRegistry()
        for r in registrations { registry.register(r) }
        let root = try ConfigLoader.parse(yaml: "slot: \(yaml)", file: "conformance.yaml", environment: environment)
        guard let node = root["slot"] else { throw ConformanceFailure("config", "no slot in \(yaml)") }
        stage = try registry.makeStage(kind, from: node, environment: environment)
        let graph = try PipelineBuilder(input: input, inputKinds: [.audio, .control, .transcript, .text])
            .then(stage).build(outputCaps: .any)
        pipeline = try EmbeddedPipeline(graph: graph, clock: SystemClock())
    }

    public func push(_ frame: Frame) { pipeline.push(frame) }

    /// Runs the loop until `done(outputs)` or `timeout`; returns whether `done` held.
    @discardableResult
    public func run(timeout: Duration = .seconds(10), until done: ([Frame]) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            pipeline.run()
            if done(pipeline.outputs) { return true }
            if ContinuousClock.now >= deadline { return false }
            usleep(2_000)
        }
    }

    /// Turns the loop for `duration` whatever happens (to see that nothing more comes out).
    public func idle(for duration: Duration) { _ = run(timeout: duration) { _ in false } }

    public var outputs: [Frame] { pipeline.outputs }

    public var failures: [StageFailure] {
        outputs.compactMap { if case .control(.error(let f)) = $0 { f } else { nil } }
    }

    public var metrics: [StageMetric] {
        outputs.compactMap { if case .control(.metric(let m)) = $0 { m } else { nil } }
    }

    public var transcripts: [TranscriptFrame] {
        outputs.compactMap { if case .transcript(let t) = $0 { t } else { nil } }
    }

    public var agentAudio: [AudioFrame] {
        outputs.compactMap { if case .audio(let a) = $0, a.role == .agent { a } else { nil } }
    }

    public var agentText: [String] {
        outputs.compactMap { if case .text(let t) = $0, t.role == .agent { t.text } else { nil } }
    }

    public var endOfStreamSeen: Bool {
        outputs.contains { if case .control(.endOfStream) = $0 { true } else { false } }
    }
}
