// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyCore

@Suite("Caps negotiation and engine-inserted conversions")
struct ConversionTests {
    @Test("converters are inserted between stages whose caps differ, in mix → resample → reframe order")
    func insertsConverters() throws {
        let log = EventLog()
        let vad = RecordingStage("vad", log: log, caps: AudioCaps(sampleRates: [16_000], channels: [1], frameDurationMs: 10),
                                 accepts: [.audio])
        let opus = RecordingStage("opus", log: log, caps: AudioCaps(sampleRates: [48_000], channels: [2], frameDurationMs: 20),
                                  accepts: [.audio])
        let input = AudioFormat(sampleRate: 44_100, channels: 2, frameDurationMs: 20)
        let graph = try PipelineBuilder(input: input).then(vad).then(opus).build()
        let names = graph.nodes.map { $0.stage.name }
        #expect(names == [
            "convert:channels 2→1", "convert:resample 44100→16000", "convert:reframe 160", "vad",
            "convert:channels 1→2", "convert:resample 16000→48000", "convert:reframe 960", "opus",
        ])
        #expect(graph.nodes[3].inputFormat == AudioFormat(sampleRate: 16_000, channels: 1, samplesPerFrame: 160))
        #expect(graph.nodes[7].inputFormat == AudioFormat(sampleRate: 48_000, channels: 2, samplesPerFrame: 960))
        #expect(graph.nodes.filter(\.isConverter).count == 6)
    }

    @Test("no converter when caps already match")
    func noConverterWhenMatching() throws {
        let s = RecordingStage("s", log: EventLog(), caps: AudioCaps(sampleRates: [48_000], channels: [1], frameDurationMs: 20))
        let graph = try PipelineBuilder(input: .standard).then(s).build()
        #expect(graph.nodes.count == 1)
    }

    @Test("audio through inserted converters keeps its pitch and arrives in the declared frame size")
    func convertedAudioIsRight() throws {
        let log = EventLog()
        let vad = RecordingStage("vad", log: log, caps: AudioCaps(sampleRates: [16_000], channels: [1], frameDurationMs: 10),
                                 accepts: [.audio])
        let input = AudioFormat(sampleRate: 48_000, channels: 2, frameDurationMs: 20)
        let p = try EmbeddedPipeline(stages: [vad], input: input)
        var frames = FrameFactory(format: input)
        for _ in 0..<50 { p.push(frames.sine(440)) } // 1 s of 440 Hz
        p.push(.control(.endOfStream))
        p.run()
        let got = vad.seen.compactMap(\.audio)
        #expect(got.allSatisfy { $0.format.sampleRate == 16_000 && $0.format.channels == 1 })
        #expect(got.dropLast().allSatisfy { $0.sampleCount == 160 })
        let total = got.reduce(0) { $0 + $1.sampleCount }
        #expect(abs(total - 16_000) <= 160)
        // Pitch: count zero crossings in the steady part (past the filter's fill-up), where a
        // 440 Hz tone crosses 880 times per second.
        let mono = got.flatMap { f in f.withSamples { Array($0) } }
        let steady = mono[400..<15_000]
        var crossings = 0
        for (a, b) in zip(steady, steady.dropFirst()) where (a >= 0) != (b >= 0) { crossings += 1 }
        let expected = 880.0 * Double(steady.count) / 16_000
        #expect(abs(Double(crossings) - expected) <= 3, "zero crossings \(crossings), expected \(expected)")
        // Timestamps are contiguous.
        for (a, b) in zip(got, got.dropFirst()) { #expect(b.timestamp == a.endTimestamp) }
    }

    @Test("branches that end in different formats are converted before they merge")
    func branchMerge() throws {
        final class Downsampler: Stage {
            let name = "to16k"
            var accepts: FrameKinds { .audio }
            var inputCaps: AudioCaps { AudioCaps(sampleRates: [16_000]) }
        }
        let graph = try PipelineBuilder(input: .standard).parallel([[Downsampler()], []])
            .then(RecordingStage("merge", log: EventLog())).build()
        let merge = graph.nodes.firstIndex { $0.stage.name == "merge" }!
        #expect(graph.nodes[merge].inputFormat.sampleRate == 16_000)
        // Both inputs of the merge carry 16 kHz: the bypass branch got a resampler.
        let inputs = graph.edges.filter { $0.to == merge }.map { $0.from }
        #expect(inputs.count == 2)
        #expect(inputs.allSatisfy { graph.nodes[$0].outputFormat.sampleRate == 16_000 })
    }

    @Test("Reframer cuts uneven input into exact frames with exact timestamps, and flushes the tail")
    func reframer() throws {
        let r = Reframer(samplesPerFrame: 100)
        let fmt = AudioFormat(sampleRate: 10_000, channels: 1, samplesPerFrame: 70)
        let p = try EmbeddedPipeline(stages: [r], input: fmt)
        var frames = FrameFactory(format: fmt)
        for _ in 0..<10 { p.push(frames.audio()) } // 700 samples
        p.push(.control(.endOfStream))
        p.run()
        let out = p.outputs.compactMap(\.audio)
        #expect(out.map(\.sampleCount) == [100, 100, 100, 100, 100, 100, 100])
        #expect(out.map(\.timestamp) == (0..<7).map { Nanos($0) * 10_000_000 })
    }

    @Test("ChannelMixer averages to mono and copies mono out")
    func channelMixer() throws {
        let down = ChannelMixer(from: 2, to: 1)
        let fmt = AudioFormat(sampleRate: 48_000, channels: 2, samplesPerFrame: 4)
        let p = try EmbeddedPipeline(stages: [down], input: fmt)
        let b = AudioBuffer(capacity: 8)
        let values: [Int16] = [100, 300, -200, -400, 32767, 32767, 0, 10]
        for (i, v) in values.enumerated() { b.storage[i] = v }
        p.push(.audio(AudioFrame(buffer: b, format: fmt, timestamp: 0, sequence: 0)))
        p.run()
        let out = try #require(p.outputs.compactMap(\.audio).first)
        #expect(out.withSamples { Array($0) } == [200, -300, 32767, 5])
    }
}
