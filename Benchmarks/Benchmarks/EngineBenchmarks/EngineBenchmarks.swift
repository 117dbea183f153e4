// SPDX-License-Identifier: Apache-2.0

import Benchmark
import ParleyBuiltinPlugins
import ParleyCore

/// Engine hot-path benchmarks. Each iteration moves one 20 ms / 48 kHz mono frame.
///
/// - "queue hop": one push + pop on an edge queue (the cost of a hop without a stage).
/// - "6-stage passthrough": one frame from the input through six passthrough stages to the
///   output (7 edges), driven by EmbeddedPipeline on the system clock — the engine's own cost.
/// - "interruption fan-out": an interruption raised at the input reaching all six stages.
///
/// Results are per frame (scaling factor 1000: each sample moves 1000 frames). Malloc counts
/// are per sample of 1000 frames, so "0 mallocs per frame" shows as a count well below 1000
/// that does not grow with the number of frames (the harness itself allocates a few per sample).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput, .instructions],
        warmupIterations: 5,
        // 1000 frames per sample: per-sample harness overhead (a handful of mallocs, timer
        // reads) is spread over 1000 frames, and results are reported per frame.
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 200_000
    )

    Benchmark("queue hop (push + pop)", configuration: .init(thresholds: [
        .mallocCountTotal: .init(absolute: [.p100: 0]),
    ])) { benchmark in
        let queue = FrameQueue(policy: .realtime)
        let pool = AudioBufferPool(bufferCapacity: 960)
        let frame = Frame.audio(AudioFrame(buffer: pool.acquire(), format: .standard, timestamp: 0, sequence: 0))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            queue.push(frame, at: 0)
            blackHole(queue.pop())
        }
    }

    Benchmark("6-stage passthrough, one 20 ms frame", configuration: .init(thresholds: [
        .mallocCountTotal: .init(absolute: [.p100: 0]),
    ])) { benchmark in
        let stages: [any Stage] = (0..<6).map { Passthrough(name: "p\($0)") }
        let graph = try PipelineBuilder(input: .standard).then(stages).build()
        let pipeline = try EmbeddedPipeline(graph: graph, clock: SystemClock(), policy: .realtime)
        pipeline.collectsOutputs = false
        pipeline.run()
        let pool = AudioBufferPool(bufferCapacity: 960)
        let frame = Frame.audio(AudioFrame(buffer: pool.acquire(), format: .standard, timestamp: 0, sequence: 0))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            pipeline.push(frame)
            pipeline.run()
        }
    }

    Benchmark("6-stage interruption fan-out", configuration: .init(thresholds: [
        .mallocCountTotal: .init(absolute: [.p100: 0]),
    ])) { benchmark in
        let stages: [any Stage] = (0..<6).map { Passthrough(name: "p\($0)") }
        let graph = try PipelineBuilder(input: .standard).then(stages).build()
        let pipeline = try EmbeddedPipeline(graph: graph, clock: SystemClock(), policy: .realtime)
        pipeline.collectsOutputs = false
        pipeline.run()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            pipeline.interrupt(.userSpeech)
            pipeline.run()
        }
    }
}
