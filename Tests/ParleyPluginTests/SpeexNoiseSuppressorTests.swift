// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleySpeexPlugins
import Testing

@Suite("speexdsp noise suppression stage")
struct SpeexNoiseSuppressorTests {
    static let format16k20 = AudioFormat(sampleRate: 16_000, channels: 1, frameDurationMs: 20)
    static let format16k10 = AudioFormat(sampleRate: 16_000, channels: 1, frameDurationMs: 10)

    /// Pink noise at −40 dBFS RMS (enough for the suppressor to act on).
    func noise(seconds: Double) -> [Int16] {
        let x = NoiseGenerator.pink(count: Int(seconds * 16_000), seed: 7)
        let rms = (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
        return LabelledSpeechSet.int16(x.map { $0 * Float(0.01 / rms) })
    }

    @Test("the registry builds it from `speex` with defaults and validated options")
    func registration() throws {
        let registry = StageRegistry()
        registry.register(SpeexNoiseSuppressor.registration)
        let plain = try #require(try registry.makeStage(.noiseSuppression, descriptor: "speex") as? SpeexNoiseSuppressor)
        #expect(plain.settings.levelDB == -25 && plain.settings.enabled)
        func node(_ yaml: String) throws -> ConfigNode {
            try #require(ConfigLoader.parse(yaml: yaml, file: "t.yaml", environment: [:])["ns"])
        }
        let off = try #require(try registry.makeStage(
            .noiseSuppression, from: node("ns: { provider: speex, level_db: -30, enabled: false }"),
            environment: [:]) as? SpeexNoiseSuppressor)
        #expect(off.settings.levelDB == -30 && !off.settings.enabled)
        #expect(throws: ConfigError.self) {
            try registry.makeStage(.noiseSuppression, from: node("ns: { provider: speex, level_db: 6 }"), environment: [:])
        }
    }

    @Test("caps: the engine resamples 48 kHz to 16 kHz and re-frames 10 ms to 20 ms in front of it")
    func capsNegotiation() throws {
        let fromOpus = try EmbeddedPipeline(stages: [try SpeexNoiseSuppressor()], input: .standard)
        #expect(fromOpus.graph.nodes.filter(\.isConverter).map(\.stage).contains { $0 is ResamplerStage })
        #expect(fromOpus.graph.outputFormat == Self.format16k20)
        let tenMs = try EmbeddedPipeline(stages: [try SpeexNoiseSuppressor()], input: Self.format16k10)
        #expect(tenMs.graph.nodes.filter(\.isConverter).map(\.stage).contains { $0 is Reframer })
        // And the pipeline runs: three seconds of 48 kHz noise come out as 16 kHz, quieter.
        let pool = AudioBufferPool(bufferCapacity: 960)
        var r = StreamingResampler(inputRate: 16_000, outputRate: 48_000, channels: 1)
        let n16 = noise(seconds: 3)
        var n48 = [Int16](repeating: 0, count: r.maxOutputFrames(forInputFrames: n16.count))
        let produced = n16.withUnsafeBufferPointer { i in n48.withUnsafeMutableBufferPointer { r.process(i, into: $0) } }
        for f in StageTestSupport.frames(Array(n48[0..<produced]), format: .standard, pool: pool) { fromOpus.push(.audio(f)) }
        fromOpus.push(.control(.endOfStream))
        fromOpus.run()
        let out = StageTestSupport.audio(fromOpus.outputs)
        #expect(abs(out.count - produced / 3) <= 320)
        func level(_ x: ArraySlice<Int16>) -> Double { x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count) }
        let reduction = 10 * log10(level(out[32_000...]) / level(n16[32_000...]))
        print("noise-only reduction over the last second: \(reduction) dB")
        #expect(reduction < -6) // the noise estimate has converged after two seconds
    }

    @Test("enabled: false passes audio through bit-exact")
    func disabledPassthrough() throws {
        var s = SpeexNoiseSuppressor.Settings()
        s.enabled = false
        let p = try EmbeddedPipeline(stages: [try SpeexNoiseSuppressor(settings: s)], input: Self.format16k20)
        let x = noise(seconds: 0.5)
        for f in StageTestSupport.frames(x, format: Self.format16k20, pool: AudioBufferPool(bufferCapacity: 320)) {
            p.push(.audio(f))
        }
        p.run()
        #expect(StageTestSupport.audio(p.outputs) == x)
    }

    @Test("copy-on-write: a shared input buffer is left untouched; a short last frame keeps its length")
    func copyOnWrite() throws {
        let p = try EmbeddedPipeline(stages: [try SpeexNoiseSuppressor()], input: Self.format16k20)
        let x = noise(seconds: 1)
        let frames = StageTestSupport.frames(x + x[0..<100], format: Self.format16k20,
                                             pool: AudioBufferPool(bufferCapacity: 320, preallocate: 64))
        for f in frames { p.push(.audio(f)) } // `frames` keeps a reference: every buffer is shared
        p.run()
        let original = frames.flatMap { f in f.withSamples { Array($0) } }
        #expect(original == x + x[0..<100])
        let out = StageTestSupport.audio(p.outputs)
        #expect(out.count == original.count)
        #expect(out != original)
    }

    @Test("in steady state it processes in place and the engine allocates no buffer")
    func noAllocationInSteadyState() throws {
        let p = try EmbeddedPipeline(stages: [try SpeexNoiseSuppressor()], input: Self.format16k20)
        p.collectsOutputs = false
        let x = noise(seconds: 1)
        let pool = AudioBufferPool(bufferCapacity: 320)
        func feed() {
            for start in stride(from: 0, to: x.count - 319, by: 320) {
                // Made here and handed over: the pipeline holds the only reference, so the stage writes in place.
                let b = pool.acquire()
                x.withUnsafeBufferPointer { b.storage.update(from: $0.baseAddress! + start, count: 320) }
                p.push(.audio(AudioFrame(buffer: b, format: Self.format16k20, timestamp: Nanos(start) * 62_500,
                                         sequence: UInt64(start / 320))))
                p.run()
            }
        }
        feed()
        let engineBuffers = p.bufferAllocations
        let poolBuffers = pool.allocations
        feed()
        #expect(p.bufferAllocations == engineBuffers)
        #expect(pool.allocations == poolBuffers)
    }

    @Test("SNR improvement per input SNR (global and segmental), through EmbeddedPipeline")
    func snrImprovement() throws {
        let set = try LabelledSpeechSet.shared.get()
        var table = "| noise | input SNR (active) | global SNR in → out | Δ global | Δ segmental | noise in pauses in → out |\n"
        table += "|---|---|---|---|---|---|\n"
        var improvement: [NoiseKind: [Double: Double]] = [:]
        var lags: Set<Int> = []
        for kind in NoiseKind.allCases {
            for snr in [20.0, 10, 5] {
                let noisy = set.noisy(kind, snrDB: snr)
                let p = try EmbeddedPipeline(stages: [try SpeexNoiseSuppressor()], input: Self.format16k10)
                let pool = AudioBufferPool(bufferCapacity: 160)
                for f in StageTestSupport.frames(LabelledSpeechSet.int16(noisy), format: Self.format16k10, pool: pool) {
                    p.push(.audio(f))
                    p.run()
                }
                p.push(.control(.endOfStream))
                p.run()
                let out = StageTestSupport.audio(p.outputs).map { Float($0) / 32768 }
                let before = SignalSNR.measure(LabelledSpeechSet.int16(noisy).map { Float($0) / 32768 }, clean: set.clean,
                                               speechFrames: set.speechFrames, frame: 160, maxLag: 0, skip: 8_000)
                let after = SignalSNR.measure(out, clean: set.clean, speechFrames: set.speechFrames, frame: 160,
                                              maxLag: 640, skip: 8_000)
                lags.insert(after.lag)
                improvement[kind, default: [:]][snr] = after.globalDB - before.globalDB
                table += String(format: "| %@ | %.0f dB | %.1f → %.1f dB | %+.1f dB | %+.1f dB | %.0f → %.0f dBFS |\n",
                                kind.rawValue, snr, before.globalDB, after.globalDB, after.globalDB - before.globalDB,
                                after.segmentalDB - before.segmentalDB, before.residualNoiseDBFS, after.residualNoiseDBFS)
            }
        }
        print("speexdsp NS (level −25 dB, 16 kHz/20 ms; SNR after removing a \(lags.sorted()) sample delay)\n" + table)
        // One frame (20 ms) of algorithmic delay, as documented on the stage.
        #expect(lags == [320])
        for kind in [NoiseKind.white, .pink] {
            for snr in [10.0, 5] {
                let d = try #require(improvement[kind]?[snr])
                #expect(d >= 3, "\(kind) \(snr) dB: improvement \(d) dB")
            }
        }
        for snr in [20.0, 10, 5] {
            // Babble is speech-like: speex barely touches it, but it must not make it worse.
            #expect(try #require(improvement[.babble]?[snr]) > 0)
        }
    }
}
