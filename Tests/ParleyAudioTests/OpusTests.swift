// SPDX-License-Identifier: Apache-2.0

import Foundation
import Testing

import ParleyAudio
import ParleyCore

// MARK: - Fixtures

/// Real speech for the codec tests, synthesized at test time: `espeak-ng` writes 22.05 kHz
/// mono, `sox` converts it to 48 kHz (Opus's native rate). Synthetic tones would not exercise
/// SILK's voiced/unvoiced decisions, its VAD (which gates LBRR/FEC) or DTX realistically.
private enum SpeechFixture {
    static let sentence = "The quick brown fox jumps over the lazy dog. "
        + "Please hold on while I check the status of your order, it should only take a moment."

    static let toolsAvailable: Bool = ["espeak-ng", "sox"].allSatisfy(isOnPath)

    /// 48 kHz mono speech, or nil when synthesis failed (the tests then fail on `#require`).
    static let samples48k: [Int16]? = synthesize(rate: 48_000)
    /// The same at 16 kHz, where Opus can only code wideband, i.e. SILK only (no hybrid).
    static let samples16k: [Int16]? = synthesize(rate: 16_000)

    /// The shipped spoken question (`Examples/question.wav`, 16 kHz neural-TTS speech) at 48 kHz:
    /// a second, more natural voice than espeak-ng's formant synthesis.
    static let question48k: [Int16]? = {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Examples/question.wav").standardizedFileURL.path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parley-opus-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let converted = dir.appendingPathComponent("question48k.wav").path
        guard run("sox", ["-D", source, "-r", "48000", "-c", "1", "-b", "16", converted]),
              let file = try? WAVReader.read(path: converted), file.format.sampleRate == 48_000, file.samples.count > 48_000
        else { return nil }
        return file.samples
    }()

    private static func isOnPath(_ tool: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }

    private static func synthesize(rate: Int) -> [Int16]? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parley-opus-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = dir.appendingPathComponent("speech.wav").path
        let converted = dir.appendingPathComponent("speech\(rate).wav").path
        guard run("espeak-ng", ["-v", "en-us", "-s", "160", "-w", raw, sentence]),
              // -D: no dither, so the fixture is identical from run to run.
              run("sox", ["-D", raw, "-r", "\(rate)", "-c", "1", "-b", "16", converted]),
              let file = try? WAVReader.read(path: converted),
              file.format.sampleRate == rate, file.format.channels == 1, file.samples.count > rate
        else { return nil }
        return file.samples
    }

    private static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

/// Deterministic PRNG for the fuzz-style tests (SplitMix64), so a failure reproduces.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func sine(hz: Double, sampleRate: Int, seconds: Double, amplitude: Double = 0.5, channels: Int = 1,
                  secondHz: Double? = nil) -> [Int16] {
    let n = Int(Double(sampleRate) * seconds)
    var out = [Int16](repeating: 0, count: n * channels)
    for i in 0..<n {
        let t = Double(i) / Double(sampleRate)
        out[i * channels] = Int16(amplitude * 32767 * sin(2 * .pi * hz * t))
        if channels == 2 {
            out[i * 2 + 1] = Int16(amplitude * 32767 * sin(2 * .pi * (secondHz ?? hz) * t))
        }
    }
    return out
}

/// Encodes `pcm` in frames of `frameSize` (the tail is zero-padded to a whole frame).
private func encodeAll(_ encoder: OpusEncoder, _ pcm: [Int16], frameSize: Int) throws -> [[UInt8]] {
    let step = frameSize * encoder.channels
    var packets: [[UInt8]] = []
    var frame = [Int16](repeating: 0, count: step)
    var out = [UInt8](repeating: 0, count: Opus.recommendedMaxPacketBytes)
    var start = 0
    while start < pcm.count {
        let n = min(step, pcm.count - start)
        for i in 0..<step { frame[i] = i < n ? pcm[start + i] : 0 }
        let bytes = try frame.withUnsafeBufferPointer { input in
            try out.withUnsafeMutableBytes { try encoder.encode(input, frameSize: frameSize, into: $0) }
        }
        packets.append(Array(out[0..<bytes]))
        start += step
    }
    return packets
}

/// How a lost packet is repaired in `decodeAll`.
private enum Repair { case conceal, fec }

/// Decodes a packet stream; `lost` packets are repaired by PLC or by FEC from the next packet.
private func decodeAll(_ decoder: OpusDecoder, _ packets: [[UInt8]], frameSize: Int, lost: Set<Int> = [],
                       repair: Repair = .conceal) throws -> [Int16] {
    var pcm: [Int16] = []
    var buffer = [Int16](repeating: 0, count: decoder.maxFrameSamples * decoder.channels)
    for (i, packet) in packets.enumerated() {
        let n: Int = try buffer.withUnsafeMutableBufferPointer { out in
            if !lost.contains(i) {
                return try packet.withUnsafeBytes { try decoder.decode($0, into: out) }
            }
            if repair == .fec, i + 1 < packets.count, !lost.contains(i + 1) {
                return try packets[i + 1].withUnsafeBytes {
                    try decoder.decodeFEC(from: $0, frameSize: frameSize, into: out)
                }
            }
            return try decoder.conceal(frameSize: frameSize, into: out)
        }
        pcm.append(contentsOf: buffer[0..<(n * decoder.channels)])
    }
    return pcm
}

/// Decodes `packets` only for their effect on the decoder's state (output discarded).
private func warmUp(_ decoder: OpusDecoder, _ packets: ArraySlice<[UInt8]>) throws {
    var buffer = [Int16](repeating: 0, count: decoder.maxFrameSamples * decoder.channels)
    try buffer.withUnsafeMutableBufferPointer { out in
        for packet in packets { _ = try packet.withUnsafeBytes { try decoder.decode($0, into: out) } }
    }
}

/// Similarity of `decoded` to `reference` once the codec delay is removed:
/// `decoded[i + delay]` is compared with `reference[i]` over `range` (mono or one channel).
private struct Fidelity: CustomStringConvertible {
    var correlation: Double
    var snrDB: Double

    init(reference: [Int16], decoded: [Int16], delay: Int, range: Range<Int>, channels: Int = 1, channel: Int = 0) {
        var sxy = 0.0, sxx = 0.0, syy = 0.0, noise = 0.0
        for i in range {
            let ri = i * channels + channel, di = (i + delay) * channels + channel
            guard ri < reference.count, di < decoded.count else { break }
            let x = Double(reference[ri]), y = Double(decoded[di])
            sxy += x * y
            sxx += x * x
            syy += y * y
            noise += (x - y) * (x - y)
        }
        correlation = sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
        snrDB = noise > 0 ? 10 * log10(sxx / noise) : .infinity
    }

    var description: String { String(format: "correlation %.4f, SNR %.2f dB", correlation, snrDB) }
}

/// The lag within `lags` at which `decoded` best matches `reference` (normalized cross-correlation).
///
/// Why not just `lookahead`: libopus reports 312 samples at 48 kHz and a CELT-coded tone lines
/// up exactly there, but the `.voip` high-pass pre-filter and SILK's internal resampling shift
/// the phase, so speech and low tones line up 2-5 samples earlier. At 48 kHz a 3-sample
/// misalignment alone costs ~4 dB of SNR on speech (measured: 6.4 dB at 312, 10.2 dB at 309).
private func bestLag(reference: [Int16], decoded: [Int16], lags: ClosedRange<Int>, range: Range<Int>) -> Int {
    var best = (lag: 0, score: -Double.infinity)
    for lag in lags {
        let score = Fidelity(reference: reference, decoded: decoded, delay: lag, range: range).correlation
        if score > best.score { best = (lag, score) }
    }
    return best.lag
}

private func rms(_ samples: ArraySlice<Int16>) -> Double {
    guard !samples.isEmpty else { return 0 }
    return (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
}

private func expectOpusError(_ code: OpusError.Code, _ body: () throws -> Void,
                             sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected \(code.constantName), got success", sourceLocation: sourceLocation)
    } catch let error as OpusError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected OpusError, got \(error)", sourceLocation: sourceLocation)
    }
}

// MARK: - Round trip

@Suite("Opus round trip")
struct OpusRoundTripTests {
    @Test("speech at 24 kbit/s, 20 ms frames, aligned by the encoder's lookahead",
          .enabled(if: SpeechFixture.toolsAvailable, "needs espeak-ng and sox"))
    func speechRoundTrip() throws {
        let speech = try #require(SpeechFixture.samples48k, "speech synthesis failed")
        let encoder = try OpusEncoder(settings: OpusEncoderSettings(bitrate: 24_000, complexity: 10, fec: false,
                                                                    packetLossPercent: 0))
        let decoder = try OpusDecoder()
        let packets = try encodeAll(encoder, speech, frameSize: 960)
        let decoded = try decodeAll(decoder, packets, frameSize: 960)
        #expect(decoded.count == packets.count * 960)
        #expect(decoder.stats.packetsDecoded == packets.count)

        let bytes = packets.reduce(0) { $0 + $1.count }
        let kbps = Double(bytes * 8) / (Double(packets.count) * 0.02) / 1000
        let range = 2_400..<(speech.count - 2_400)
        // Search ±2 ms around the lookahead, then check the best lag agrees with it.
        let lag = bestLag(reference: speech, decoded: decoded,
                          lags: (encoder.lookahead - 96)...(encoder.lookahead + 96), range: 48_000..<144_000)
        let atLookahead = Fidelity(reference: speech, decoded: decoded, delay: encoder.lookahead, range: range)
        let fidelity = Fidelity(reference: speech, decoded: decoded, delay: lag, range: range)
        print("[opus] speech 24 kbit/s c10: \(packets.count) packets, \(String(format: "%.1f", kbps)) kbit/s actual; "
              + "at lookahead \(encoder.lookahead): \(atLookahead); at best lag \(lag): \(fidelity)")
        #expect(abs(lag - encoder.lookahead) <= 4, "decoded audio lags by \(lag), lookahead says \(encoder.lookahead)")
        // Measured with libopus 1.3.1: correlation 0.951, SNR 10.2 dB. SILK is a perceptual
        // (noise-shaped) coder, not a waveform coder, so SNR is modest; the floors leave room for
        // other libopus releases without letting a broken pipeline (misaligned, clipped,
        // wrong rate) pass.
        #expect(fidelity.correlation >= 0.92)
        #expect(fidelity.snrDB >= 7)
        #expect(kbps > 20 && kbps < 28)
    }

    @Test("1 kHz sine at 64 kbit/s (audio application)")
    func sineRoundTrip() throws {
        let tone = sine(hz: 1_000, sampleRate: 48_000, seconds: 1)
        let encoder = try OpusEncoder(application: .audio,
                                      settings: OpusEncoderSettings(bitrate: 64_000, complexity: 10, fec: false))
        let decoder = try OpusDecoder()
        let packets = try encodeAll(encoder, tone, frameSize: 960)
        let decoded = try decodeAll(decoder, packets, frameSize: 960)
        let fidelity = Fidelity(reference: tone, decoded: decoded, delay: encoder.lookahead,
                                range: 4_800..<(tone.count - 4_800))
        print("[opus] 1 kHz sine 64 kbit/s: lookahead \(encoder.lookahead), \(fidelity)")
        #expect(fidelity.correlation >= 0.999)
        #expect(fidelity.snrDB >= 25)
        // The range coder state matches on both ends when transport is bit-exact.
        #expect(encoder.finalRange == decoder.finalRange)
    }

    @Test("every supported rate and frame duration round-trips a 440 Hz tone",
          arguments: Opus.supportedSampleRates)
    func ratesAndDurations(sampleRate: Int) throws {
        for duration in [OpusFrameDuration.ms2_5, .ms5, .ms10, .ms20, .ms40, .ms60] {
            let frameSize = duration.samples(atSampleRate: sampleRate)
            let tone = sine(hz: 440, sampleRate: sampleRate, seconds: 0.6)
            let encoder = try OpusEncoder(sampleRate: sampleRate,
                                          settings: OpusEncoderSettings(bitrate: 48_000, fec: false))
            let decoder = try OpusDecoder(sampleRate: sampleRate)
            let packets = try encodeAll(encoder, tone, frameSize: frameSize)
            for packet in packets {
                let samples = try packet.withUnsafeBytes { try decoder.packetSamples($0) }
                #expect(samples == frameSize, "\(sampleRate) Hz \(duration)")
            }
            let decoded = try decodeAll(decoder, packets, frameSize: frameSize)
            #expect(decoded.count == packets.count * frameSize)
            #expect(decoder.lastPacketDuration == frameSize)
            let skip = sampleRate / 10
            let range = skip..<(tone.count - skip)
            let lag = bestLag(reference: tone, decoded: decoded,
                              lags: (encoder.lookahead - 8)...(encoder.lookahead + 8), range: range)
            let fidelity = Fidelity(reference: tone, decoded: decoded, delay: lag, range: range)
            print("[opus] 440 Hz at \(sampleRate) Hz, \(duration): lag \(lag) (lookahead \(encoder.lookahead)), "
                  + "\(fidelity)")
            #expect(fidelity.correlation >= 0.95, "\(sampleRate) Hz \(duration): \(fidelity)")
        }
    }

    @Test("stereo keeps its channels apart")
    func stereo() throws {
        let pcm = sine(hz: 440, sampleRate: 48_000, seconds: 1, amplitude: 0.4, channels: 2, secondHz: 660)
        let encoder = try OpusEncoder(channels: 2, application: .audio,
                                      settings: OpusEncoderSettings(bitrate: 96_000, fec: false))
        let decoder = try OpusDecoder(channels: 2)
        let packets = try encodeAll(encoder, pcm, frameSize: 960)
        let decoded = try decodeAll(decoder, packets, frameSize: 960)
        #expect(decoded.count == packets.count * 960 * 2)
        let range = 4_800..<43_200
        let left = Fidelity(reference: pcm, decoded: decoded, delay: encoder.lookahead, range: range, channels: 2)
        let right = Fidelity(reference: pcm, decoded: decoded, delay: encoder.lookahead, range: range, channels: 2,
                             channel: 1)
        print("[opus] stereo 96 kbit/s: left \(left); right \(right)")
        #expect(left.correlation >= 0.99 && right.correlation >= 0.99)
        let toc = try packets[10].withUnsafeBytes { try OpusPacket.toc($0) }
        #expect(toc.isStereo)
    }

    @Test("AudioFrame convenience: encode pads a short tail, decodeFrame fills a pooled frame")
    func audioFrameConvenience() throws {
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        let pool = AudioBufferPool(bufferCapacity: decoder.maxFrameSamples, preallocate: 2)
        let format = AudioFormat.standard
        let input = pool.acquire()
        let tone = sine(hz: 300, sampleRate: 48_000, seconds: 0.01)  // 480 of 960 samples: a file's tail
        for (i, s) in tone.enumerated() { input.storage[i] = s }
        let frame = AudioFrame(buffer: input, format: format, sampleCount: tone.count, timestamp: 0, sequence: 0)
        let packet = try encoder.encode(frame)
        #expect(packet.count > 2)
        let decoded = try packet.withUnsafeBytes {
            try decoder.decodeFrame($0, pool: pool, timestamp: 20_000_000, sequence: 1, role: .agent)
        }
        #expect(decoded.sampleCount == 960 && decoded.format == format)
        #expect(decoded.timestamp == 20_000_000 && decoded.sequence == 1 && decoded.role == .agent)

        let wrong = AudioFrame(buffer: pool.acquire(), format: AudioFormat(sampleRate: 16_000, frameDurationMs: 20),
                               timestamp: 0, sequence: 0)
        expectOpusError(.badArgument) { _ = try encoder.encode(wrong) }
    }
}

// MARK: - Complexity

@Suite("Opus complexity")
struct OpusComplexityTests {
    /// What the encoder complexity buys on speech at the voice settings (32 kbit/s, FEC for
    /// 10 % loss): the figures behind `OpusEncoderSettings.voiceComplexity` (the CPU side is in
    /// Benchmarks/MediaBenchmarks). Each level codes the same two voices; printed are the
    /// bitrate, the modes and bandwidths libopus chose, and the waveform fidelity (correlation,
    /// SNR) against the input. The voice default must stay within 1.5 dB SNR of complexity 9.
    /// Set PARLEY_OPUS_QUALITY_WAVS=<dir> to also write the reference and each decode (aligned)
    /// as 48 kHz WAVs, for a perceptual score (PESQ) outside the test.
    @Test("speech at 32 kbit/s: complexity 0, 1, 2, 5, 9 and 10 against the input",
          .enabled(if: SpeechFixture.toolsAvailable, "needs espeak-ng and sox"))
    func speechByComplexity() throws {
        let voices = [("espeak", try #require(SpeechFixture.samples48k, "speech synthesis failed")),
                      ("question", try #require(SpeechFixture.question48k, "Examples/question.wav did not convert"))]
        let wavs = ProcessInfo.processInfo.environment["PARLEY_OPUS_QUALITY_WAVS"]
        for (name, speech) in voices {
            let range = 2_400..<(speech.count - 2_400)
            var fidelity: [Int: Fidelity] = [:]
            if let wavs { try WAVWriter.write(speech, to: "\(wavs)/\(name)-reference.wav", sampleRate: 48_000, channels: 1) }
            for complexity in [0, 1, 2, 5, 9, 10] {
                var settings = OpusEncoderSettings()
                settings.complexity = complexity
                let encoder = try OpusEncoder(settings: settings)
                let packets = try encodeAll(encoder, speech, frameSize: 960)
                let decoded = try decodeAll(OpusDecoder(), packets, frameSize: 960)
                let lag = bestLag(reference: speech, decoded: decoded,
                                  lags: (encoder.lookahead - 96)...(encoder.lookahead + 96), range: 24_000..<96_000)
                let result = Fidelity(reference: speech, decoded: decoded, delay: lag, range: range)
                fidelity[complexity] = result
                let kbps = Double(packets.reduce(0) { $0 + $1.count } * 8) / (Double(packets.count) * 0.02) / 1000
                let tocs = try packets.map { try $0.withUnsafeBytes { try OpusPacket.toc($0) } }
                let bandwidths = Dictionary(grouping: tocs, by: { "\($0.mode) \($0.bandwidth)" }).mapValues(\.count)
                print("[opus] \(name) 32 kbit/s complexity \(complexity): \(String(format: "%.1f", kbps)) kbit/s actual, "
                      + "\(bandwidths.sorted { $0.key < $1.key }), lag \(lag): \(result)")
                if let wavs {
                    let aligned = Array(decoded.dropFirst(lag).prefix(speech.count))
                    try WAVWriter.write(aligned, to: "\(wavs)/\(name)-complexity-\(complexity).wav", sampleRate: 48_000, channels: 1)
                }
                // Any level still codes speech: aligned, well correlated, within the bitrate.
                #expect(result.correlation >= 0.9, "\(name) complexity \(complexity): \(result)")
                // VBR: the question clip (with pauses) averages ~20 kbit/s, espeak's ~30.
                #expect(kbps > 15 && kbps < 36, "\(name) complexity \(complexity): \(kbps) kbit/s")
            }
            // The voice default keeps the waveform close to complexity 9 (measured: 0.2 / 0.8 dB
            // less SNR). What it costs perceptually is larger; the PESQ scores are on
            // OpusEncoderSettings.voiceComplexity.
            let best = try #require(fidelity[9])
            let voice = try #require(fidelity[OpusEncoderSettings.voiceComplexity])
            #expect(best.snrDB - voice.snrDB <= 1.5, "\(name): voice default \(voice) vs complexity 9 \(best)")
            #expect(best.correlation - voice.correlation <= 0.02, "\(name): voice default \(voice) vs complexity 9 \(best)")
        }
    }
}

// MARK: - Loss

@Suite("Opus loss handling")
struct OpusLossTests {
    @Test("PLC fills every 10th packet and a burst of 3 with continuous, bounded audio",
          .enabled(if: SpeechFixture.toolsAvailable, "needs espeak-ng and sox"))
    func concealment() throws {
        let speech = try #require(SpeechFixture.samples48k, "speech synthesis failed")
        let encoder = try OpusEncoder(settings: OpusEncoderSettings(bitrate: 24_000, complexity: 10, fec: false,
                                                                    packetLossPercent: 0))
        let packets = try encodeAll(encoder, speech, frameSize: 960)
        var lost = Set(stride(from: 9, to: packets.count, by: 10))
        lost.formUnion([53, 54, 55])
        let decoder = try OpusDecoder()
        let decoded = try decodeAll(decoder, packets, frameSize: 960, lost: lost)

        #expect(decoded.count == packets.count * 960, "concealment must keep the timeline")
        #expect(decoder.stats.concealedFrames == lost.count)
        #expect(decoder.stats.concealedSamples == lost.count * 960)
        #expect(decoder.stats.packetsDecoded == packets.count - lost.count)
        #expect(decoder.lastPacketDuration == 960)

        // The reference for decoded frame k is the input shifted by the codec delay, measured on
        // a loss-free decode of the same packets.
        let clean = try decodeAll(OpusDecoder(), packets, frameSize: 960)
        let range = 2_400..<(speech.count - 2_400)
        let lag = bestLag(reference: speech, decoded: clean, lags: (encoder.lookahead - 8)...(encoder.lookahead + 8),
                          range: range)
        let reference = [Int16](repeating: 0, count: lag) + speech
        let loudest = stride(from: 0, to: speech.count - 960, by: 960).map { rms(speech[$0..<($0 + 960)]) }.max() ?? 0
        var concealedEnergy = 0.0
        var report: [String] = []
        for k in lost.sorted() {
            let out = rms(decoded[(k * 960)..<((k + 1) * 960)])
            let original = rms(reference[min(k * 960, reference.count)..<min((k + 1) * 960, reference.count)])
            concealedEnergy += out * out
            report.append(String(format: "%d: %.0f/%.0f", k, out, original))
            #expect(out <= 1.5 * loudest, "frame \(k): concealment RMS \(out) beyond the loudest input \(loudest)")
        }
        print("[opus] PLC concealed/original RMS per lost frame: \(report.joined(separator: ", "))")
        #expect(concealedEnergy > 0)
        // After a received frame with speech in it, concealment continues the voice rather than
        // dropping to silence (in silence, silence is the right answer).
        for k in lost where k > 0 && !lost.contains(k - 1) {
            let before = rms(decoded[((k - 1) * 960)..<(k * 960)])
            let concealed = rms(decoded[(k * 960)..<((k + 1) * 960)])
            if before > 300 { #expect(concealed > 0, "frame \(k) went silent after a frame of RMS \(before)") }
        }
        // Over a burst, PLC fades out instead of sustaining a guess (bounded energy).
        let burst = (53...55).map { rms(decoded[($0 * 960)..<(($0 + 1) * 960)]) }
        #expect(burst[0] > 0 && burst[2] < burst[0], "burst RMS \(burst)")

        // Continuity: no sample step at a frame edge larger than the largest step in the input.
        let maxStepIn = zip(speech.dropFirst(), speech).map { abs(Int($0) - Int($1)) }.max() ?? 0
        var maxStepEdge = 0
        for k in lost.sorted() {
            for edge in [k * 960, (k + 1) * 960] where edge > 0 && edge < decoded.count {
                maxStepEdge = max(maxStepEdge, abs(Int(decoded[edge]) - Int(decoded[edge - 1])))
            }
        }
        print("[opus] PLC largest step at a concealed frame edge \(maxStepEdge), in the input \(maxStepIn)")
        #expect(maxStepEdge <= maxStepIn)

        let overall = Fidelity(reference: speech, decoded: decoded, delay: lag, range: range)
        let lossless = Fidelity(reference: speech, decoded: clean, delay: lag, range: range)
        print("[opus] PLC with \(lost.count)/\(packets.count) packets lost: \(overall) (no loss: \(lossless))")
        #expect(overall.correlation > 0.5 && overall.correlation < lossless.correlation)
    }

    @Test("FEC from the next packet beats plain PLC on the lost frames",
          .enabled(if: SpeechFixture.toolsAvailable, "needs espeak-ng and sox"))
    func forwardErrorCorrection() throws {
        let speech = try #require(SpeechFixture.samples48k, "speech synthesis failed")
        let encoder = try OpusEncoder(settings: OpusEncoderSettings(bitrate: 24_000, complexity: 10, fec: true,
                                                                    packetLossPercent: 20))
        let packets = try encodeAll(encoder, speech, frameSize: 960)
        let lbrr = try packets.map { try $0.withUnsafeBytes { try OpusPacket.hasLBRR($0) } }
        // Lose every 7th packet whose successor carries FEC data, so the comparison is about
        // the FEC data itself (a packet without LBRR would make both paths conceal).
        let lost = Set(stride(from: 6, to: packets.count - 1, by: 7).filter { lbrr[$0 + 1] })
        try #require(lost.count >= 10, "too few packets with LBRR data: \(lbrr.filter { $0 }.count)")

        let fecDecoder = try OpusDecoder()
        let plcDecoder = try OpusDecoder()
        let withFEC = try decodeAll(fecDecoder, packets, frameSize: 960, lost: lost, repair: .fec)
        let withPLC = try decodeAll(plcDecoder, packets, frameSize: 960, lost: lost, repair: .conceal)
        let clean = try decodeAll(OpusDecoder(), packets, frameSize: 960)
        #expect(fecDecoder.stats.fecRecoveredFrames == lost.count)
        #expect(fecDecoder.stats.fecUnavailable == 0)
        #expect(fecDecoder.stats.packetsDecoded == packets.count - lost.count)
        #expect(plcDecoder.stats.concealedFrames == lost.count)

        // Error energy over the lost frames only, against the input aligned by the codec delay
        // (measured on the loss-free decode).
        let range = 2_400..<(speech.count - 2_400)
        let lag = bestLag(reference: speech, decoded: clean, lags: (encoder.lookahead - 8)...(encoder.lookahead + 8),
                          range: range)
        let reference = [Int16](repeating: 0, count: lag) + speech + [Int16](repeating: 0, count: 960)
        var signal = 0.0, fecNoise = 0.0, plcNoise = 0.0, cleanNoise = 0.0, fecWins = 0
        for k in lost {
            var frameFEC = 0.0, framePLC = 0.0
            for i in (k * 960)..<((k + 1) * 960) {
                let x = Double(reference[i])
                signal += x * x
                frameFEC += (x - Double(withFEC[i])) * (x - Double(withFEC[i]))
                framePLC += (x - Double(withPLC[i])) * (x - Double(withPLC[i]))
                cleanNoise += (x - Double(clean[i])) * (x - Double(clean[i]))
            }
            fecNoise += frameFEC
            plcNoise += framePLC
            if frameFEC < framePLC { fecWins += 1 }
        }
        let fecSNR = 10 * log10(signal / fecNoise), plcSNR = 10 * log10(signal / plcNoise)
        let cleanSNR = 10 * log10(signal / cleanNoise)
        let whole = (fec: Fidelity(reference: speech, decoded: withFEC, delay: lag, range: range),
                     plc: Fidelity(reference: speech, decoded: withPLC, delay: lag, range: range))
        print(String(format: "[opus] FEC vs PLC on %d lost frames (of %d; %d packets carry LBRR): SNR on the lost "
                         + "frames FEC %.2f dB, PLC %.2f dB (same frames received: %.2f dB); FEC closer on %d/%d "
                         + "frames; whole signal FEC %@, PLC %@",
                     lost.count, packets.count, lbrr.filter { $0 }.count, fecSNR, plcSNR, cleanSNR, fecWins,
                     lost.count, whole.fec.description, whole.plc.description))
        // Measured with libopus 1.3.1: FEC 4.1 dB vs PLC 1.3 dB, FEC closer on 44 of 51 frames.
        #expect(fecSNR > plcSNR + 1.5, "FEC should be clearly closer to the original than PLC")
        #expect(fecWins * 4 >= lost.count * 3, "FEC should win on at least 3 of 4 lost frames")
        #expect(whole.fec.correlation > whole.plc.correlation)
    }

    @Test("LBRR data appears only with FEC on and a non-zero expected loss",
          .enabled(if: SpeechFixture.toolsAvailable, "needs espeak-ng and sox"))
    func lbrrPresence() throws {
        let speech = try #require(SpeechFixture.samples48k, "speech synthesis failed")
        for (fec, loss) in [(true, 20), (false, 20), (true, 0)] {
            let encoder = try OpusEncoder(settings: OpusEncoderSettings(bitrate: 24_000, fec: fec,
                                                                        packetLossPercent: loss))
            let packets = try encodeAll(encoder, speech, frameSize: 960)
            let flags = try packets.map { try $0.withUnsafeBytes { try OpusPacket.hasLBRR($0) } }
            print("[opus] fec \(fec), loss \(loss) %: \(flags.filter { $0 }.count)/\(packets.count) packets carry LBRR")
            if fec && loss > 0 {
                #expect(flags.filter { $0 }.count > packets.count / 3)
            } else {
                #expect(!flags.contains(true))
            }
        }
    }

    /// The LBRR flag's bit position depends on the SILK frames per Opus frame (1 for 10/20 ms,
    /// 2 for 40 ms, 3 for 60 ms) and on the channel count (the side channel's flags follow the
    /// mid channel's), so each layout is checked against what libopus actually does: two
    /// decoders in the same state repair frame k, one by FEC from packet k+1, one by PLC.
    /// Without LBRR data libopus's FEC path falls back to PLC, so:
    /// - flag set ⇒ the outputs must differ (else the flag is a false positive);
    /// - flag clear ⇒ the outputs are identical, with one measured exception: in stereo 40/60 ms
    ///   SILK, frames with no voice activity at all (every VAD and LBRR header bit zero) come
    ///   out slightly different from PLC. Those are accepted only when the header bits, read
    ///   independently here, really are all zero.
    /// Positions where packet k+1 switches mode or bandwidth are skipped: libopus then conceals
    /// in the new configuration and differs from plain PLC regardless of LBRR. 40 and 60 ms
    /// SILK frames exist only in SILK-only mode, hence the 16 kHz (wideband-only) cases.
    @Test("hasLBRR's bit position is right for every SILK frame layout",
          .enabled(if: SpeechFixture.toolsAvailable, "needs espeak-ng and sox"),
          arguments: [(48_000, 1, OpusFrameDuration.ms20, 24_000), (48_000, 2, .ms20, 40_000),
                      (16_000, 1, .ms20, 24_000), (16_000, 1, .ms40, 24_000), (16_000, 1, .ms60, 24_000),
                      (16_000, 2, .ms20, 32_000), (16_000, 2, .ms40, 32_000), (16_000, 2, .ms60, 32_000)])
    func lbrrBitPosition(sampleRate: Int, channels: Int, duration: OpusFrameDuration, bitrate: Int) throws {
        let mono = try #require(sampleRate == 48_000 ? SpeechFixture.samples48k : SpeechFixture.samples16k,
                                "speech synthesis failed")
        let frameSize = duration.samples(atSampleRate: sampleRate)
        // Stereo: the right channel is the speech 7 ms later and quieter, so the side channel
        // carries signal of its own.
        let delay = sampleRate * 7 / 1000
        let pcm: [Int16] = channels == 1 ? mono : (0..<mono.count).flatMap { i -> [Int16] in
            [mono[i], i >= delay ? Int16(Double(mono[i - delay]) * 0.6) : 0]
        }
        let encoder = try OpusEncoder(sampleRate: sampleRate, channels: channels,
                                      settings: OpusEncoderSettings(bitrate: bitrate, fec: true, packetLossPercent: 20))
        let packets = try encodeAll(encoder, pcm, frameSize: frameSize)
        let tocs = try packets.map { try $0.withUnsafeBytes { try OpusPacket.toc($0) } }
        // Header bits per channel: one VAD flag per 20 ms SILK frame, then the LBRR flag.
        let headerBits = channels * (max(1, Int(duration.milliseconds) / 20) + 1)
        var same = 0, different = 0, falsePositives: [Int] = [], falseNegatives: [Int] = [], inactive = 0
        var layouts: [String: Int] = [:]
        var a = [Int16](repeating: 0, count: frameSize * channels), b = a
        // Every ~100 ms over the first 4 s (the first sentence and the pause after it): each
        // position costs a decode of the whole prefix, twice.
        let ms = Int(duration.milliseconds)
        for k in stride(from: 3, to: min(packets.count - 1, 4_000 / ms), by: max(1, 100 / ms))
        where tocs[k - 1].mode == tocs[k + 1].mode && tocs[k - 1].bandwidth == tocs[k + 1].bandwidth {
            let d1 = try OpusDecoder(sampleRate: sampleRate, channels: channels)
            let d2 = try OpusDecoder(sampleRate: sampleRate, channels: channels)
            try warmUp(d1, packets[0..<k])
            try warmUp(d2, packets[0..<k])
            let next = packets[k + 1]
            let flag = try next.withUnsafeBytes { try OpusPacket.hasLBRR($0) }
            _ = try a.withUnsafeMutableBufferPointer { out in
                try next.withUnsafeBytes { try d1.decodeFEC(from: $0, frameSize: frameSize, into: out) }
            }
            _ = try b.withUnsafeMutableBufferPointer { try d2.conceal(frameSize: frameSize, into: $0) }
            let equal = a == b
            if equal { same += 1 } else { different += 1 }
            if flag && equal { falsePositives.append(k) }
            if !flag && !equal {
                // Code-0 packet: the SILK header is the top of byte 1. All zero = no activity at all.
                let allInactive = tocs[k + 1].frameCountCode == 0 && next.count > 1
                    && next[1] >> (8 - headerBits) == 0
                if allInactive && channels == 2 { inactive += 1 } else { falseNegatives.append(k) }
            }
            let toc = tocs[k + 1]
            layouts["\(toc.mode) \(toc.frameDuration)\(toc.isStereo ? " stereo" : "")", default: 0] += 1
        }
        print("[opus] LBRR \(sampleRate / 1000) kHz \(channels) ch \(duration) at \(bitrate / 1000) kbit/s: FEC vs PLC "
              + "\(same) identical, \(different) different (\(inactive) of them in fully inactive stereo frames); "
              + "false positives \(falsePositives), false negatives \(falseNegatives); layouts \(layouts)")
        #expect(falsePositives.isEmpty)
        #expect(falseNegatives.isEmpty)
        #expect(same > 0 && different > inactive, "both cases should occur in speech with pauses")
        // The layout this case is about was actually exercised.
        #expect(layouts.keys.contains { $0.hasSuffix("\(duration)\(channels == 2 ? " stereo" : "")") }, "\(layouts)")
    }

    @Test("decodeFEC without FEC data in the next packet conceals and says so")
    func fecUnavailable() throws {
        let tone = sine(hz: 200, sampleRate: 48_000, seconds: 0.5)
        let encoder = try OpusEncoder(settings: OpusEncoderSettings(bitrate: 24_000, fec: false, packetLossPercent: 0))
        let packets = try encodeAll(encoder, tone, frameSize: 960)
        let decoder = try OpusDecoder()
        _ = try decodeAll(decoder, Array(packets[0..<10]), frameSize: 960)
        var out = [Int16](repeating: 0, count: 960)
        let n = try out.withUnsafeMutableBufferPointer { pcm in
            try packets[11].withUnsafeBytes { try decoder.decodeFEC(from: $0, frameSize: 960, into: pcm) }
        }
        #expect(n == 960)
        #expect(decoder.stats.fecRecoveredFrames == 0)
        #expect(decoder.stats.fecUnavailable == 1 && decoder.stats.concealedFrames == 1)
    }
}

// MARK: - Bad input

@Suite("Opus bad input")
struct OpusBadInputTests {
    @Test("10,000 seeded garbage packets: decoded or counted invalid, never a crash")
    func garbagePackets() throws {
        var rng = SplitMix64(state: 0x5EED_0BAD_CAFE)
        for (rate, channels, count) in [(48_000, 1, 10_000), (16_000, 2, 2_000)] {
            let decoder = try OpusDecoder(sampleRate: rate, channels: channels)
            var pcm = [Int16](repeating: 0, count: decoder.maxFrameSamples * channels)
            var decoded = 0, invalid = 0, other: [String] = []
            for _ in 0..<count {
                let length = Int.random(in: 1...(Bool.random(using: &rng) ? 64 : 1_500), using: &rng)
                let packet = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                do {
                    let expected = try? packet.withUnsafeBytes { try decoder.packetSamples($0) }
                    let n = try pcm.withUnsafeMutableBufferPointer { out in
                        try packet.withUnsafeBytes { try decoder.decode($0, into: out) }
                    }
                    #expect(n == expected && n <= decoder.maxFrameSamples)
                    decoded += 1
                } catch let error as OpusError where error.code == .invalidPacket {
                    invalid += 1
                } catch {
                    other.append("\(error)")
                }
                // Inspection and FEC on garbage must be just as safe.
                _ = try? packet.withUnsafeBytes { try OpusPacket.hasLBRR($0) }
                _ = try? packet.withUnsafeBytes { try OpusPacket.frameCount($0) }
            }
            print("[opus] garbage at \(rate) Hz/\(channels) ch: \(decoded) decoded, \(invalid) invalid, "
                  + "stats \(decoder.stats)")
            #expect(other.isEmpty, "unexpected errors: \(other.prefix(3))")
            #expect(decoded + invalid == count)
            #expect(decoder.stats.invalidPackets == invalid && decoder.stats.packetsDecoded == decoded)
            #expect(invalid > 0 && decoded > 0)
        }
    }

    @Test("garbage as the FEC source packet is rejected or concealed, never a crash")
    func garbageFEC() throws {
        var rng = SplitMix64(state: 42)
        let decoder = try OpusDecoder()
        var pcm = [Int16](repeating: 0, count: decoder.maxFrameSamples)
        var outcomes = 0, invalid = 0
        for _ in 0..<2_000 {
            let packet = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            do {
                let n = try pcm.withUnsafeMutableBufferPointer { out in
                    try packet.withUnsafeBytes { try decoder.decodeFEC(from: $0, frameSize: 960, into: out) }
                }
                #expect(n == 960)
                outcomes += 1
            } catch let error as OpusError {
                #expect(error.code == .invalidPacket, "\(error)")
                outcomes += 1
                invalid += 1
            }
        }
        #expect(outcomes == 2_000)
        // Rejected FEC sources are not counted (the following `decode` of the same packet counts them).
        #expect(decoder.stats.invalidPackets == 0)
        #expect(invalid + decoder.stats.fecRecoveredFrames + decoder.stats.fecUnavailable == 2_000)
        print("[opus] garbage FEC sources: \(invalid) rejected, stats \(decoder.stats)")
    }

    @Test("truncated packets decode or are rejected as invalid")
    func truncatedPackets() throws {
        // Code 0 (one frame) packets stay valid when cut; 60 ms CELT packets are code 3 (three
        // frames with explicit lengths, RFC 6716 §3.2.5), so most cuts break their framing.
        let configs: [(OpusApplication, Int, Int, Int)] = [(.voip, 1, 960, 24_000), (.audio, 2, 2_880, 128_000),
                                                            (.voip, 1, 1_920, 16_000)]
        for (application, channels, frameSize, bitrate) in configs {
            let encoder = try OpusEncoder(channels: channels, application: application,
                                          settings: OpusEncoderSettings(bitrate: bitrate, fec: false))
            let pcm = sine(hz: 500, sampleRate: 48_000, seconds: 0.5, channels: channels, secondHz: 750)
            let packets = try encodeAll(encoder, pcm, frameSize: frameSize)
            let decoder = try OpusDecoder(channels: channels)
            var out = [Int16](repeating: 0, count: decoder.maxFrameSamples * channels)
            var decoded = 0, invalid = 0
            for packet in packets.prefix(8) {
                for length in 1..<packet.count {
                    do {
                        let n = try out.withUnsafeMutableBufferPointer { pcm in
                            try packet[0..<length].withUnsafeBytes { try decoder.decode($0, into: pcm) }
                        }
                        #expect(n == frameSize)
                        decoded += 1
                    } catch let error as OpusError {
                        #expect(error.code == .invalidPacket, "\(error)")
                        invalid += 1
                    }
                }
            }
            print("[opus] truncated \(application) \(channels) ch \(frameSize) samples: \(decoded) decoded, "
                  + "\(invalid) invalid")
            #expect(decoder.stats.invalidPackets == invalid)
            if frameSize == 2_880 && application == .audio { #expect(invalid > 0) }
        }
    }

    @Test("empty packets are invalid, counted, and leave the decoder usable")
    func emptyPacket() throws {
        let decoder = try OpusDecoder()
        var out = [Int16](repeating: 0, count: 960)
        expectOpusError(.invalidPacket) {
            _ = try out.withUnsafeMutableBufferPointer { pcm in
                try [UInt8]().withUnsafeBytes { try decoder.decode($0, into: pcm) }
            }
        }
        expectOpusError(.invalidPacket) {
            _ = try out.withUnsafeMutableBufferPointer { pcm in
                try [UInt8]().withUnsafeBytes { try decoder.decodeFEC(from: $0, frameSize: 960, into: pcm) }
            }
        }
        expectOpusError(.invalidPacket) { _ = try [UInt8]().withUnsafeBytes { try decoder.packetSamples($0) } }
        expectOpusError(.invalidPacket) { _ = try [UInt8]().withUnsafeBytes { try OpusPacket.hasLBRR($0) } }
        #expect(decoder.stats.invalidPackets == 1, "decode counts it; decodeFEC leaves that to decode")
        let n = try out.withUnsafeMutableBufferPointer { try decoder.conceal(frameSize: 960, into: $0) }
        #expect(n == 960)
    }

    @Test("frame sizes Opus cannot code are rejected")
    func badFrameSizes() throws {
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        var pcm = [Int16](repeating: 0, count: 8_000)
        var packet = [UInt8](repeating: 0, count: Opus.recommendedMaxPacketBytes)
        for frameSize in [0, -960, 1, 961, 1_000, 6_720, 7_680] {
            expectOpusError(.badArgument) {
                let count = max(0, frameSize)
                _ = try pcm.withUnsafeBufferPointer { all in
                    try packet.withUnsafeMutableBytes {
                        try encoder.encode(UnsafeBufferPointer(rebasing: all[0..<count]), frameSize: frameSize,
                                           into: $0)
                    }
                }
            }
        }
        for frameSize in [0, -1, 100, 5_761, 6_000, 11_520] {
            expectOpusError(.badArgument) {
                _ = try pcm.withUnsafeMutableBufferPointer { try decoder.conceal(frameSize: frameSize, into: $0) }
            }
        }
        // 80/100/120 ms are legal Opus packet durations (libopus ≥ 1.2) and decode as such.
        let n = try pcm.withUnsafeBufferPointer { all in
            try packet.withUnsafeMutableBytes {
                try encoder.encode(UnsafeBufferPointer(rebasing: all[0..<5_760]), frameSize: 5_760, into: $0)
            }
        }
        let samples = try packet[0..<n].withUnsafeBytes { try decoder.packetSamples($0) }
        #expect(samples == 5_760)
    }

    @Test("buffers of the wrong size are rejected with a precise error")
    func wrongBufferSizes() throws {
        let encoder = try OpusEncoder()
        let stereoDecoder = try OpusDecoder(channels: 2)
        let decoder = try OpusDecoder()
        let pcm = sine(hz: 440, sampleRate: 48_000, seconds: 0.02)
        var packet = [UInt8](repeating: 0, count: 4_000)

        // PCM shorter or longer than frameSize × channels.
        for count in [959, 961, 1_920] {
            let input = count <= pcm.count ? Array(pcm[0..<count]) : pcm + pcm
            expectOpusError(.badArgument) {
                _ = try input.withUnsafeBufferPointer { all in
                    try packet.withUnsafeMutableBytes { try encoder.encode(all, frameSize: 960, into: $0) }
                }
            }
        }
        // No room for the packet.
        expectOpusError(.bufferTooSmall) {
            var none: [UInt8] = []
            _ = try pcm.withUnsafeBufferPointer { input in
                try none.withUnsafeMutableBytes { try encoder.encode(input, frameSize: 960, into: $0) }
            }
        }
        var tiny = [UInt8](repeating: 0, count: 1)
        do {
            let n = try pcm.withUnsafeBufferPointer { input in
                try tiny.withUnsafeMutableBytes { try encoder.encode(input, frameSize: 960, into: $0) }
            }
            print("[opus] encode into 1 byte: \(n)-byte packet")
            #expect(n <= 1)
        } catch let error as OpusError {
            #expect(error.code == .bufferTooSmall, "\(error)")
        }
        // A decode buffer shorter than the packet.
        let bytes = try pcm.withUnsafeBufferPointer { input in
            try packet.withUnsafeMutableBytes { try encoder.encode(input, frameSize: 960, into: $0) }
        }
        var short = [Int16](repeating: 0, count: 480)
        expectOpusError(.bufferTooSmall) {
            _ = try short.withUnsafeMutableBufferPointer { out in
                try packet[0..<bytes].withUnsafeBytes { try decoder.decode($0, into: out) }
            }
        }
        expectOpusError(.bufferTooSmall) {
            _ = try short.withUnsafeMutableBufferPointer { try decoder.conceal(frameSize: 960, into: $0) }
        }
        expectOpusError(.bufferTooSmall) {
            var none: [Int16] = []
            _ = try none.withUnsafeMutableBufferPointer { out in
                try packet[0..<bytes].withUnsafeBytes { try decoder.decode($0, into: out) }
            }
        }
        // Stereo output must be a whole number of sample pairs.
        var odd = [Int16](repeating: 0, count: 1_921)
        expectOpusError(.badArgument) {
            _ = try odd.withUnsafeMutableBufferPointer { out in
                try packet[0..<bytes].withUnsafeBytes { try stereoDecoder.decode($0, into: out) }
            }
        }
        // A mono packet decodes into a stereo decoder (libopus upmixes) when the buffer fits.
        var pair = [Int16](repeating: 0, count: 1_920)
        let n = try pair.withUnsafeMutableBufferPointer { out in
            try packet[0..<bytes].withUnsafeBytes { try stereoDecoder.decode($0, into: out) }
        }
        #expect(n == 960)
        #expect(decoder.stats.invalidPackets == 0 && stereoDecoder.stats.invalidPackets == 0)
    }

    @Test("unsupported formats and settings are rejected before libopus sees them")
    func badConfiguration() throws {
        expectOpusError(.badArgument) { _ = try OpusEncoder(sampleRate: 44_100) }
        expectOpusError(.badArgument) { _ = try OpusEncoder(channels: 3) }
        expectOpusError(.badArgument) { _ = try OpusEncoder(channels: 0) }
        expectOpusError(.badArgument) { _ = try OpusDecoder(sampleRate: 22_050) }
        expectOpusError(.badArgument) { _ = try OpusDecoder(channels: 6) }
        let encoder = try OpusEncoder()
        expectOpusError(.badArgument) { try encoder.configure(bitrate: 100) }
        expectOpusError(.badArgument) { try encoder.configure(bitrate: 1_000_000) }
        expectOpusError(.badArgument) { try encoder.configure(complexity: 11) }
        expectOpusError(.badArgument) { try encoder.configure(packetLossPercent: -1) }
        expectOpusError(.badArgument) { try encoder.configure(packetLossPercent: 101) }
        #expect(encoder.settings == OpusEncoderSettings(), "a rejected configure must not change the settings")
    }
}

// MARK: - Settings, DTX, errors

@Suite("Opus settings")
struct OpusSettingsTests {
    @Test("configure reaches libopus and reads back")
    func readBack() throws {
        let encoder = try OpusEncoder()
        try encoder.configure(bitrate: 24_000, complexity: 5, fec: true, packetLossPercent: 20, dtx: true)
        let expected = OpusEncoderSettings(bitrate: 24_000, complexity: 5, fec: true, packetLossPercent: 20,
                                           dtx: true)
        #expect(encoder.settings == expected)
        #expect(try encoder.readBackSettings() == expected)
        try encoder.configure(OpusEncoderSettings(bitrate: 64_000, complexity: 0, fec: false, packetLossPercent: 0,
                                                  dtx: false, signal: .voice, vbr: false))
        #expect(try encoder.readBackSettings() == encoder.settings)
        #expect(encoder.effectiveBitrate == 64_000)
        #expect(encoder.lookahead == 312, "48 kHz voip: 2.5 ms + 4 ms lookahead")
        #expect(try OpusEncoder(application: .lowDelay).lookahead == 120, "CELT only: 2.5 ms")
    }

    @Test("DTX turns silence into packets of at most 2 bytes",
          arguments: [true, false])
    func dtx(enabled: Bool) throws {
        let encoder = try OpusEncoder(settings: OpusEncoderSettings(bitrate: 24_000, fec: false, packetLossPercent: 0,
                                                                    dtx: enabled))
        let talk = sine(hz: 220, sampleRate: 48_000, seconds: 0.4, amplitude: 0.3)
        let silence = [Int16](repeating: 0, count: 48_000 * 2)
        let packets = try encodeAll(encoder, talk + silence, frameSize: 960)
        let silent = packets.suffix(80)  // the last 1.6 s: well into the silence
        let tiny = silent.filter { $0.count <= OpusPacket.dtxMaxBytes }.count
        let sizes = Dictionary(grouping: silent.map(\.count), by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }
        print("[opus] DTX \(enabled ? "on" : "off"): silent packet sizes (bytes: count) \(sizes)")
        if enabled {
            // libopus still sends a comfort-noise update every 400 ms (1 in 20 packets).
            #expect(tiny >= silent.count * 9 / 10)
            #expect(encoder.isInDTX)
        } else {
            #expect(tiny == 0)
            #expect(!encoder.isInDTX)
        }
        // The receiver plays DTX packets as (comfort-noise) silence of the right length.
        let decoder = try OpusDecoder()
        let decoded = try decodeAll(decoder, packets, frameSize: 960)
        #expect(decoded.count == packets.count * 960)
        #expect(rms(decoded.suffix(48_000)) < 100)
    }

    @Test("errors name the libopus constant and the offending value")
    func errorDescriptions() throws {
        let error = OpusError(status: -4, .decode, "3-byte packet")
        #expect(error.code == .invalidPacket)
        #expect(error.description
                    == "Opus decode failed: corrupted or invalid packet (OPUS_INVALID_PACKET): 3-byte packet")
        for status in Int32(-8)...(-1) {
            #expect(OpusError.Code(status: status).status == status)
        }
        #expect(OpusError.Code(status: -99) == .unknown(-99))
        do {
            _ = try OpusEncoder(sampleRate: 44_100)
            Issue.record("44.1 kHz accepted")
        } catch {
            #expect("\(error)".contains("44100"))
            #expect("\(error)".contains("OPUS_BAD_ARG"))
        }
        #expect(Opus.libraryVersion.hasPrefix("libopus"))
    }

    @Test("TOC parsing follows RFC 6716 §3.1")
    func tocParsing() {
        let silkNB10 = OpusPacket.TOC(byte: 0 << 3)
        #expect(silkNB10.mode == .silk && silkNB10.bandwidth == .narrowband && silkNB10.frameDuration == .ms10)
        let silkWB60 = OpusPacket.TOC(byte: 11 << 3 | 0x04 | 3)
        #expect(silkWB60.mode == .silk && silkWB60.bandwidth == .wideband && silkWB60.frameDuration == .ms60)
        #expect(silkWB60.isStereo && silkWB60.frameCountCode == 3)
        let hybridFB20 = OpusPacket.TOC(byte: 15 << 3)
        #expect(hybridFB20.mode == .hybrid && hybridFB20.bandwidth == .fullband && hybridFB20.frameDuration == .ms20)
        let celtSWB2_5 = OpusPacket.TOC(byte: 24 << 3 | 1)
        #expect(celtSWB2_5.mode == .celt && celtSWB2_5.bandwidth == .superwideband)
        #expect(celtSWB2_5.frameDuration == .ms2_5 && celtSWB2_5.frameCountCode == 1)
        #expect(OpusFrameDuration(samples: 960, sampleRate: 48_000) == .ms20)
        #expect(OpusFrameDuration(samples: 20, sampleRate: 8_000) == .ms2_5)
        #expect(OpusFrameDuration(samples: 961, sampleRate: 48_000) == nil)
        #expect(OpusFrameDuration(samples: 960, sampleRate: 44_100) == nil)
    }
}
