// SPDX-License-Identifier: Apache-2.0

import Benchmark
import ParleyCore
import ParleySpeexPlugins
import ParleyWebRTCPlugins

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU per stream of the local audio stages. Each iteration moves one 20 ms mono frame through
/// the stage(s) in an `EmbeddedPipeline` on the system clock, so the figure includes the
/// engine's hop (a passthrough hop costs well under 1 µs, see EngineBenchmarks).
///
/// Budget: a VAD may spend ≤ 1 % of a core per stream, i.e. ≤ 200 µs per 20 ms frame; the
/// wall-clock p50 here is the number to hold against it (divide by 200 µs for % of a core).
///
/// - "webrtc VAD … 16 kHz / 48 kHz": the stage analyses two 10 ms sub-frames per frame; at
///   48 kHz the engine's own decimation to 8 kHz makes it ~5× dearer, still far cheaper than
///   inserting a resampler in front of it.
/// - "speex NS … 16 kHz": the frames cycle through a fixed set the benchmark keeps, so every
///   frame is shared and the stage pays a copy-on-write copy into a pooled buffer (a live
///   pipeline hands it unique buffers and it works in place).
/// - "48 kHz front end": resample → speex NS → WebRTC VAD, the audio front of a pipeline.
///
/// Results are per frame (scaling factor 1000). Malloc counts are per sample of 1000 frames;
/// the stages allocate nothing per frame, so they stay at the harness's few.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput, .instructions],
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 200_000
    )
    let noAllocations = Benchmark.Configuration(thresholds: [.mallocCountTotal: .init(absolute: [.p100: 0])])

    Benchmark("webrtc VAD (mode 3), one 20 ms frame, 16 kHz", configuration: noAllocations) { benchmark in
        try run(benchmark, stages: [try WebRTCVADStage()], rate: 16_000)
    }
    Benchmark("webrtc VAD (mode 3), one 20 ms frame, 48 kHz", configuration: noAllocations) { benchmark in
        try run(benchmark, stages: [try WebRTCVADStage()], rate: 48_000)
    }
    Benchmark("speex NS (-25 dB), one 20 ms frame, 16 kHz", configuration: noAllocations) { benchmark in
        try run(benchmark, stages: [try SpeexNoiseSuppressor()], rate: 16_000)
    }
    Benchmark("48 kHz front end: resample, speex NS, webrtc VAD, one 20 ms frame",
              configuration: noAllocations) { benchmark in
        try run(benchmark, stages: [try SpeexNoiseSuppressor(), try WebRTCVADStage()], rate: 48_000)
    }
}

/// Pushes one frame per scaled iteration through `stages`, cycling through one second of
/// speech-like audio so the VAD sees voiced and unvoiced frames.
private func run(_ benchmark: Benchmark, stages: [any Stage], rate: Int) throws {
    let format = AudioFormat(sampleRate: rate, channels: 1, frameDurationMs: 20)
    let graph = try PipelineBuilder(input: format).then(stages).build()
    let pipeline = try EmbeddedPipeline(graph: graph, clock: SystemClock(), policy: .realtime)
    pipeline.collectsOutputs = false
    pipeline.run()
    let frames = speechLikeFrames(format: format, count: 50)
    var i = 0
    var timestamp: Nanos = 0
    benchmark.startMeasurement()
    for _ in benchmark.scaledIterations {
        // Media time keeps moving forward while the content cycles (the VAD's durations stay real).
        var frame = frames[i]
        frame.timestamp = timestamp
        pipeline.push(.audio(frame))
        pipeline.run()
        timestamp += format.frameDurationNanos
        i = i + 1 == frames.count ? 0 : i + 1
    }
}

/// Harmonic bursts (200 Hz and overtones, 300 ms on / 300 ms off) over low noise.
private func speechLikeFrames(format: AudioFormat, count: Int) -> [AudioFrame] {
    let pool = AudioBufferPool(bufferCapacity: format.samplesPerFrame, preallocate: count)
    var seed: UInt64 = 42
    var low = 0.0
    var n = 0
    return (0..<count).map { k in
        let buffer = pool.acquire()
        for j in 0..<format.samplesPerFrame {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            low = 0.97 * low + Double(Int64(bitPattern: seed >> 1) % 20_000) / 200_000
            let t = Double(n) / Double(format.sampleRate)
            var v = low * 800
            if Int(t / 0.3) % 2 == 0 {
                for h in 1...8 { v += 1500 / Double(h) * sin(2 * .pi * 200 * Double(h) * t) }
            }
            buffer.storage[j] = Int16(clamping: Int(v))
            n += 1
        }
        return AudioFrame(buffer: buffer, format: format, timestamp: 0, sequence: UInt64(k))
    }
}
