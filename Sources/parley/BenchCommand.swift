// SPDX-License-Identifier: Apache-2.0

import ArgumentParser
import Foundation
import ParleyBuiltinPlugins
import ParleyCore

/// `parley bench …`: measurements that print figures (micro-benchmarks with malloc counts
/// live in the Benchmarks/ package).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Latency benchmarks: scenarios (run, compare) and measurements of the engine and its parts.",
        subcommands: [BenchRunCommand.self, BenchCompareCommand.self, BenchCapacityCommand.self, BenchEngineCommand.self, BenchJitterCommand.self,
                      BenchJoinCommand.self])
}

/// Per-frame and per-hop latency of the engine itself: 20 ms / 48 kHz mono frames through a
/// chain of passthrough stages, each frame timed from `push` to the output, and every hop
/// (queue wait + stage call) taken from the engine's own probes.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "Per-hop latency of the engine on a passthrough chain.")

    @Option(help: "Passthrough stages in the chain.") var stages = 6
    @Option(help: "Frames to push (after 1000 warm-up frames).") var frames = 100_000

    func run() throws {
        guard (1...64).contains(stages) else { throw CLIFailure(message: "--stages must be in 1...64") }
        guard frames > 0 else { throw CLIFailure(message: "--frames must be positive") }
        let chain: [any Stage] = (0..<stages).map { Passthrough(name: "p\($0)") }
        let graph = try PipelineBuilder(input: .standard).then(chain).build()
        let clock = SystemClock()
        let pipeline = try EmbeddedPipeline(graph: graph, clock: clock, policy: .realtime)
        pipeline.collectsOutputs = false
        var outAt: Nanos = 0
        pipeline.onOutput { _ in outAt = clock.now() }
        pipeline.run()
        let pool = AudioBufferPool(bufferCapacity: 960)
        let frame = Frame.audio(AudioFrame(buffer: pool.acquire(), format: .standard, timestamp: 0, sequence: 0))
        for _ in 0..<1000 { pipeline.push(frame); pipeline.run() }
        let poolBuffersAfterWarmUp = pipeline.bufferAllocations
        var perFrame = LatencyHistogram()
        let start = clock.now()
        for _ in 0..<frames {
            let t0 = clock.now()
            pipeline.push(frame)
            pipeline.run()
            perFrame.record(outAt - t0)
        }
        let elapsed = clock.now() - start
        let stats = pipeline.stats()
        let hops = stats.edges.count
        print("engine: \(stages) passthrough stages, \(hops) hops, \(frames) frames of 20 ms / 48 kHz mono")
        print(String(format: "per frame, push → output:  p50 %.2f µs  p99 %.2f µs  max %.2f µs  mean %.2f µs",
                     Double(perFrame.quantile(0.5)) / 1e3, Double(perFrame.quantile(0.99)) / 1e3,
                     Double(perFrame.max) / 1e3, perFrame.mean / 1e3))
        print(String(format: "per hop (per frame / %d hops): p50 %.2f µs  p99 %.2f µs", hops,
                     Double(perFrame.quantile(0.5)) / 1e3 / Double(hops), Double(perFrame.quantile(0.99)) / 1e3 / Double(hops)))
        print("per edge (queue wait) and per stage (processing), from the engine's probes, p50 / p99:")
        for (i, e) in stats.edges.enumerated() {
            let w = e.queueWait
            var line = "  " + LatencyTable.pad(e.name, 14) + String(format: " wait %6.2f / %6.2f µs",
                              Double(w.quantile(0.5)) / 1e3, Double(w.quantile(0.99)) / 1e3)
            if i < stats.stages.count {
                let p = stats.stages[i].processing
                line += String(format: "   %@ processing %6.2f / %6.2f µs", stats.stages[i].name as NSString,
                               Double(p.quantile(0.5)) / 1e3, Double(p.quantile(0.99)) / 1e3)
            }
            print(line)
        }
        let framesPerSecond = Double(frames) / (Double(elapsed) / 1e9)
        print(String(format: "throughput: %.0f frames/s on one core = %.0f real-time 20 ms streams", framesPerSecond,
                     framesPerSecond / 50))
        print("dropped frames: \(stats.totalDropped)  audio buffers created after warm-up: \(pipeline.bufferAllocations - poolBuffersAfterWarmUp)")
    }
}
