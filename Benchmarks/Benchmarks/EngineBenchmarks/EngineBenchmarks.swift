// SPDX-License-Identifier: Apache-2.0

import Benchmark
import ParleyBuiltinPlugins
import ParleyCore

/// Engine hot-path benchmarks, on 20 ms / 48 kHz mono frames.
///
/// - "queue hop": one push + pop on an edge queue (the cost of a hop without a stage).
/// - "6-stage passthrough": one frame from the input through six passthrough stages to the
///   output (7 edges), driven by EmbeddedPipeline on the system clock — the engine's own cost.
/// - "interruption fan-out": an interruption raised at the input reaching all six stages.
/// - "interruption fan-out, 8 agent frames queued": the same while a reply's audio is queued in
///   the pipeline (the user barging in): from `interrupt` until every stage has seen it, the
///   queued agent frames purged on the way.
///
/// Results are per frame (or per interruption). The queue hop runs 1000 hops per sample
/// (scaling factor 1000: ~50 µs a sample, two clock reads spread over 1000 hops); the others
/// one frame or interruption per sample (scaling factor 1), their pipeline kept from sample to
/// sample. Samples of a few µs are rarely cut by the scheduler on a busy machine, where a
/// sample of 1000 frames (several ms) often is, which doubles its time: the p90 checked
/// against Benchmarks/Thresholds/ then measures the load, not the engine (Benchmarks/README.md).
/// A one-operation sample includes the clock read that ends it (~25 ns).
///
/// Thresholds: `scripts/bench-micro` checks every run against Benchmarks/Thresholds/ (the p90
/// of wall clock and mallocs, recorded by `scripts/bench-micro update`) with the tolerances in
/// `Tolerance` below. Every benchmark here allocates nothing per frame: the malloc threshold is
/// 0, with no tolerance.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput, .instructions],
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 200_000,
        thresholds: Tolerance.standard
    )
    // One operation per sample. No .instructions: this VM has no PMU to count them, and reading
    // the counter costs the harness 16 mallocs per sample, which such a sample reports as ours.
    let perOperation = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal, .throughput],
                                               scalingFactor: .one, maxIterations: 1_000_000,
                                               thresholds: Tolerance.standard)

    Benchmark("queue hop (push + pop)", configuration: .init(metrics: [.wallClock, .mallocCountTotal, .throughput])) { benchmark in
        let queue = FrameQueue(policy: .realtime)
        let pool = AudioBufferPool(bufferCapacity: 960)
        let frame = Frame.audio(AudioFrame(buffer: pool.acquire(), format: .standard, timestamp: 0, sequence: 0))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            queue.push(frame, at: 0)
            blackHole(queue.pop())
        }
    }

    var passthrough: (pipeline: EmbeddedPipeline, frame: Frame)?
    Benchmark("6-stage passthrough, one 20 ms frame", configuration: perOperation) { benchmark in
        if passthrough == nil {
            let pool = AudioBufferPool(bufferCapacity: 960)
            passthrough = (try sixPassthroughs(),
                           Frame.audio(AudioFrame(buffer: pool.acquire(), format: .standard, timestamp: 0, sequence: 0)))
        }
        let (pipeline, frame) = passthrough!
        benchmark.startMeasurement()
        pipeline.push(frame)
        pipeline.run()
    }

    var fanOut: EmbeddedPipeline?
    Benchmark("6-stage interruption fan-out", configuration: perOperation) { benchmark in
        if fanOut == nil { fanOut = try sixPassthroughs() }
        let pipeline = fanOut!
        benchmark.startMeasurement()
        pipeline.interrupt(.userSpeech)
        pipeline.run()
    }

    // A barge-in: 8 frames of agent audio pushed at the input, then three passes, so one frame
    // is in flight (queued in front of the fourth stage) and seven wait on the input edge.
    // Measured: `interrupt` and the single pass that takes the interruption to all six stages
    // and the output (priority frames reach every stage in one pass), purging every queued
    // agent frame on its way; afterwards every edge must be empty. The backlog is rebuilt
    // before each sample, outside the measurement.
    var queued: (pipeline: EmbeddedPipeline, agentFrame: Frame)?
    Benchmark("6-stage interruption fan-out, 8 agent frames queued", configuration: perOperation) { benchmark in
        if queued == nil {
            let pool = AudioBufferPool(bufferCapacity: 960)
            queued = (try sixPassthroughs(),
                      Frame.audio(AudioFrame(buffer: pool.acquire(), format: .standard, timestamp: 0, sequence: 0,
                                             role: .agent)))
        }
        let (pipeline, agentFrame) = queued!
        for _ in 0..<8 { pipeline.push(agentFrame) }
        for _ in 0..<3 { pipeline.runPass() }
        let backlog = (0..<pipeline.graph.edges.count).reduce(0) { $0 + pipeline.queuedData(edge: $1) }
        if backlog != 8 { benchmark.error("\(backlog) frames queued before the interruption, expected 8") }
        benchmark.startMeasurement()
        pipeline.interrupt(.userSpeech)
        pipeline.runPass()
        benchmark.stopMeasurement()
        for edge in 0..<pipeline.graph.edges.count where pipeline.queuedData(edge: edge) != 0 {
            benchmark.error("edge \(edge) still holds \(pipeline.queuedData(edge: edge)) frames after the interruption")
        }
    }
}

/// Six passthrough stages on the system clock with realtime edges, started and idle.
private func sixPassthroughs() throws -> EmbeddedPipeline {
    let stages: [any Stage] = (0..<6).map { Passthrough(name: "p\($0)") }
    let graph = try PipelineBuilder(input: .standard).then(stages).build()
    let pipeline = try EmbeddedPipeline(graph: graph, clock: SystemClock(), policy: .realtime)
    pipeline.collectsOutputs = false
    pipeline.run()
    return pipeline
}

/// How far a run may stray from the p90 recorded in Benchmarks/Thresholds/ before
/// `scripts/bench-micro` (`swift package benchmark thresholds check`) calls it a regression.
/// Only the metrics recorded there are checked: wall clock and mallocs.
enum Tolerance {
    static var standard: [BenchmarkMetric: BenchmarkThresholds] {
        [
            // p90 up to 1.75× the recorded one (the lowest p90 of the recording runs). In 22 runs
            // on the shared 2-core machine at load 0.1–4.7 a run's p90 came out at ≤ 1.64× that,
            // once 1.88× (Benchmarks/README.md); a 2× slowdown is beyond it, and
            // scripts/bench-micro only reports a benchmark beyond it in each of 3 attempts.
            .wallClock: .init(relative: [.p90: 75]),
            // Not one malloc more than recorded (0 here); p100 for `baseline check` comparisons.
            .mallocCountTotal: .init(absolute: [.p90: 0, .p100: 0]),
        ]
    }
}
