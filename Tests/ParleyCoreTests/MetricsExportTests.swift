// SPDX-License-Identifier: Apache-2.0

import Metrics
import MetricsTestKit
import Testing
@testable import ParleyCore

/// The probes reach swift-metrics (the only test in the run that bootstraps a metrics backend).
@Suite("Probes exported through swift-metrics")
struct MetricsExportTests {
    @Test("queue wait, stage processing, drops and turn latency are recorded with their dimensions")
    func exported() throws {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)

        final class Answerer: Stage {
            let name = "answerer"
            var accepts: FrameKinds { .audio }
            func process(_ frame: Frame, _ context: StageContext) {
                guard var a = frame.audio else { return }
                context.emit(.userStoppedSpeaking(speechEnd: a.timestamp))
                a.role = .agent
                context.emit(.audio(a))
            }
        }
        let graph = try PipelineBuilder(input: .standard).then(Answerer()).build()
        let p = try EmbeddedPipeline(graph: graph)
        var frames = FrameFactory()
        p.push(frames.audio())
        p.run()

        let wait = try metrics.expectTimer("parley_edge_queue_wait_seconds", [("pipeline", "embedded"), ("edge", "input→answerer")])
        #expect(!wait.values.isEmpty)
        let processing = try metrics.expectTimer("parley_stage_processing_seconds", [("pipeline", "embedded"), ("stage", "answerer")])
        #expect(!processing.values.isEmpty)
        let v2v = try metrics.expectTimer("parley_turn_voice_to_voice_seconds", [("pipeline", "embedded")])
        #expect(v2v.values.count == 1)
    }
}
