// SPDX-License-Identifier: Apache-2.0
//
// Tests for StreamingResampler: unit properties (ratio reduction, streaming
// invariance, exact output counts, flush, gain/delay/phase accuracy, stop-band
// rejection, Int16 handling) and an acceptance comparison against
// `sox rate -v` for every ordered pair of the supported rates, on speech made
// by espeak-ng and on a logarithmic sine sweep.

import Foundation
import Testing
@testable import ParleyCore

/// The sample rates Parley must convert between, in every ordered pair.
private let supportedRates = [8000, 16000, 22050, 24000, 32000, 44100, 48000]

// MARK: - Helpers

/// Runs `resampler` over `signal` (interleaved), feeding `chunkFrames` frames
/// per call in turn (cycling), then flushes. Returns the whole output,
/// including the leading `delayFrames`.
private func runResampler(
    _ resampler: inout StreamingResampler, _ signal: [Float], chunkFrames: [Int]
) -> [Float] {
    let channels = resampler.channels
    let frames = signal.count / channels
    var output: [Float] = []
    output.reserveCapacity((frames * resampler.outputRate / resampler.inputRate + resampler.delayFrames + 8) * channels)
    var scratch: [Float] = []
    var offset = 0
    var chunkIndex = 0
    while offset < frames {
        let count = min(chunkFrames[chunkIndex % chunkFrames.count], frames - offset)
        chunkIndex += 1
        let capacity = resampler.maxOutputFrames(forInputFrames: count)
        if scratch.count < capacity * channels { scratch = [Float](repeating: 0, count: capacity * channels) }
        let written = signal.withUnsafeBufferPointer { input in
            scratch.withUnsafeMutableBufferPointer { out in
                resampler.process(
                    UnsafeBufferPointer(rebasing: input[(offset * channels)..<((offset + count) * channels)]),
                    into: out)
            }
        }
        #expect(written == capacity)
        output.append(contentsOf: scratch[0..<(written * channels)])
        offset += count
    }
    var tail = [Float](repeating: 0, count: resampler.pendingFlushFrames * channels)
    let flushed = tail.withUnsafeMutableBufferPointer { resampler.flush(into: $0) }
    output.append(contentsOf: tail[0..<(flushed * channels)])
    return output
}

/// Resamples a whole signal in 20 ms chunks (the pipeline's frame size).
private func resampleIn20msChunks(
    _ signal: [Float], from inputRate: Int, to outputRate: Int, channels: Int = 1,
    quality: ResamplerQuality = .high
) -> (output: [Float], delay: Int) {
    var resampler = StreamingResampler(
        inputRate: inputRate, outputRate: outputRate, channels: channels, quality: quality)
    let output = runResampler(&resampler, signal, chunkFrames: [inputRate / 50])
    return (output, resampler.delayFrames)
}

private func sine(frequency: Double, rate: Int, frames: Int, amplitude: Double = 0.5, phase: Double = 0) -> [Float] {
    (0..<frames).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(rate) + phase)) }
}

/// A logarithmic sine sweep from `start` to `end` Hz, amplitude 0.5.
private func logSweep(from start: Double, to end: Double, rate: Int, seconds: Double) -> [Float] {
    let frames = Int(seconds * Double(rate))
    let growth = log(end / start)
    return (0..<frames).map { index in
        let time = Double(index) / Double(rate)
        let phase = 2 * Double.pi * start * seconds / growth * (exp(time / seconds * growth) - 1)
        return Float(0.5 * sin(phase))
    }
}

/// Signal-to-noise ratio in dB of `actual` against `reference`.
private func snr(reference: ArraySlice<Float>, actual: ArraySlice<Float>) -> Double {
    precondition(reference.count == actual.count)
    var signal = 0.0
    var noise = 0.0
    reference.withUnsafeBufferPointer { ref in
        actual.withUnsafeBufferPointer { act in
            for index in 0..<ref.count {
                let r = Double(ref[index])
                let difference = r - Double(act[index])
                signal += r * r
                noise += difference * difference
            }
        }
    }
    return noise == 0 ? .infinity : 10 * log10(signal / noise)
}

private func rms(_ samples: ArraySlice<Float>) -> Double {
    (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(samples.count, 1))).squareRoot()
}

/// Finds the lag (in samples) at which `delayed` best matches `reference`
/// by cross-correlation, i.e. `delayed[i + lag] ≈ reference[i]`, searching
/// `lags`. The correlation is evaluated on 4096 evenly spread samples of the
/// middle 80 % of `reference`, which is plenty to locate the peak.
private func bestLag(reference: [Float], delayed: [Float], lags: ClosedRange<Int>) -> Int {
    let skip = reference.count / 10
    let region = skip..<(reference.count - skip)
    let stride = max(1, region.count / 4096)
    var best = (lag: lags.lowerBound, score: -Float.infinity)
    reference.withUnsafeBufferPointer { ref in
        delayed.withUnsafeBufferPointer { del in
            for lag in lags {
                let first = max(region.lowerBound, -lag)
                let last = min(region.upperBound, del.count - lag)
                var score: Float = 0
                var i = first
                while i < last {
                    score += ref[i] * del[i + lag]
                    i += stride
                }
                if score > best.score { best = (lag, score) }
            }
        }
    }
    return best.lag
}

/// Aligns `delayed` to `reference` with the best lag and returns the SNR over
/// the overlapping middle part (5 % skipped at each edge).
private func alignedSNR(reference: [Float], delayed: [Float], expectedLag: Int) -> (snr: Double, lag: Int) {
    let lag = bestLag(reference: reference, delayed: delayed, lags: -64...(expectedLag + 64))
    let overlap = min(reference.count, delayed.count - lag)
    let skip = overlap / 20
    let range = skip..<(overlap - skip)
    let value = snr(reference: reference[range],
                    actual: delayed[(range.lowerBound + lag)..<(range.upperBound + lag)])
    return (value, lag)
}

// MARK: - Unit tests

@Suite("StreamingResampler")
struct StreamingResamplerUnitTests {
    @Test("rates are reduced by their gcd into phases and step")
    func reducesRatioByGreatestCommonDivisor() {
        let cases: [(Int, Int, Int, Int)] = [
            (44100, 48000, 160, 147), (48000, 44100, 147, 160), (48000, 16000, 1, 3),
            (16000, 48000, 3, 1), (8000, 44100, 441, 80), (22050, 24000, 160, 147),
        ]
        for (input, output, phases, step) in cases {
            let resampler = StreamingResampler(inputRate: input, outputRate: output, channels: 1, quality: .medium)
            #expect(resampler.upsamplingFactor == phases, "\(input)->\(output)")
            #expect(resampler.downsamplingFactor == step, "\(input)->\(output)")
            #expect(resampler.tapsPerPhase % 8 == 0)
        }
    }

    @Test("equal rates copy samples unchanged")
    func equalRatesCopy() {
        var resampler = StreamingResampler(inputRate: 16000, outputRate: 16000, channels: 2)
        #expect(resampler.delayFrames == 0)
        let input: [Float] = [0.25, -0.5, 1.5, -1.0, 0, 0.125]
        var output = [Float](repeating: 9, count: 6)
        #expect(resampler.maxOutputFrames(forInputFrames: 3) == 3)
        let frames = input.withUnsafeBufferPointer { i in output.withUnsafeMutableBufferPointer { resampler.process(i, into: $0) } }
        #expect(frames == 3)
        #expect(output == input)
        #expect(output.withUnsafeMutableBufferPointer { resampler.flush(into: $0) } == 0)

        let pcm: [Int16] = [.min, .max, 0, -1, 1234, -4321]
        var pcmOut = [Int16](repeating: 7, count: 6)
        let pcmFrames = pcm.withUnsafeBufferPointer { i in pcmOut.withUnsafeMutableBufferPointer { resampler.process(i, into: $0) } }
        #expect(pcmFrames == 3)
        #expect(pcmOut == pcm)
    }

    @Test("output does not depend on how the input is chunked",
          arguments: [(44100, 48000), (48000, 8000), (16000, 22050), (8000, 48000)])
    func chunkingInvariance(rates: (Int, Int)) {
        let (input, output) = rates
        let stereo = zip(sine(frequency: 440, rate: input, frames: input / 4),
                         sine(frequency: 1234, rate: input, frames: input / 4, phase: 1))
            .flatMap { [$0, $1] }
        var reference = StreamingResampler(inputRate: input, outputRate: output, channels: 2)
        let whole = runResampler(&reference, stereo, chunkFrames: [stereo.count / 2])
        var chunked = StreamingResampler(inputRate: input, outputRate: output, channels: 2)
        // Odd sizes, single frames and chunks larger than the internal block.
        let ragged = runResampler(&chunked, stereo, chunkFrames: [1, 7, 441, 3000, 13, 960, 2, 5000])
        #expect(ragged == whole)
        // After flush the resampler is fresh again: a second run is identical.
        let again = runResampler(&chunked, stereo, chunkFrames: [480])
        #expect(again == whole)
    }

    @Test("flush completes the stream to delay + ceil(N * out / in) frames")
    func flushLength() {
        for (input, output) in [(44100, 48000), (48000, 44100), (8000, 44100), (48000, 16000), (22050, 32000)] {
            for frames in [0, 1, 999, 4410] {
                var resampler = StreamingResampler(inputRate: input, outputRate: output, channels: 1, quality: .medium)
                let produced = runResampler(&resampler, [Float](repeating: 0.1, count: frames), chunkFrames: [333])
                let expected = frames == 0 ? 0 : resampler.delayFrames + (frames * output + input - 1) / input
                #expect(produced.count == expected, "\(input)->\(output) N=\(frames)")
                #expect(resampler.pendingFlushFrames == 0)
            }
        }
    }

    @Test("flush into a small buffer continues where it left off")
    func partialFlush() {
        let signal = sine(frequency: 300, rate: 16000, frames: 1600)
        var reference = StreamingResampler(inputRate: 16000, outputRate: 48000, channels: 1)
        let expected = runResampler(&reference, signal, chunkFrames: [320])

        var resampler = StreamingResampler(inputRate: 16000, outputRate: 48000, channels: 1)
        var output = [Float](repeating: 0, count: resampler.maxOutputFrames(forInputFrames: signal.count))
        let written = signal.withUnsafeBufferPointer { i in output.withUnsafeMutableBufferPointer { resampler.process(i, into: $0) } }
        output.removeLast(output.count - written)
        var piece = [Float](repeating: 0, count: 100)
        while true {
            let count = piece.withUnsafeMutableBufferPointer { resampler.flush(into: $0) }
            if count == 0 { break }
            output.append(contentsOf: piece[0..<count])
        }
        #expect(output == expected)
    }

    @Test("reset forgets history")
    func resetRestoresInitialState() {
        let signal = sine(frequency: 1000, rate: 48000, frames: 4800)
        var resampler = StreamingResampler(inputRate: 48000, outputRate: 22050, channels: 1)
        var scratch = [Float](repeating: 0, count: 8000)
        func once(_ r: inout StreamingResampler) -> [Float] {
            let n = signal.withUnsafeBufferPointer { i in scratch.withUnsafeMutableBufferPointer { r.process(i, into: $0) } }
            return Array(scratch[0..<n])
        }
        let first = once(&resampler)
        _ = once(&resampler)
        resampler.reset()
        #expect(once(&resampler) == first)
    }

    @Test("maxOutputFrames is exact at every call")
    func maxOutputFramesIsExact() {
        var resampler = StreamingResampler(inputRate: 44100, outputRate: 8000, channels: 1)
        var output = [Float](repeating: 0, count: 4096)
        var total = 0
        let counts = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584]
        for count in counts {
            let input = [Float](repeating: 0.25, count: count)
            let bound = resampler.maxOutputFrames(forInputFrames: count)
            let written = input.withUnsafeBufferPointer { i in output.withUnsafeMutableBufferPointer { resampler.process(i, into: $0) } }
            #expect(written == bound)
            total += written
        }
        // N input frames reach up to input time N - 1; output n lies at input
        // time n * 441 / 80, so outputs 0 ... floor((N - 1) * 80 / 441) exist.
        let inputFrames = counts.reduce(0, +)
        #expect(total == (inputFrames - 1) * 80 / 441 + 1)
    }

    @Test("a sine keeps its gain and phase after removing delayFrames",
          arguments: [ResamplerQuality.high, .medium])
    func passbandAccuracyAndDelay(quality: ResamplerQuality) {
        for input in supportedRates {
            for output in supportedRates where output != input {
                let frequency = 0.25 * Double(min(input, output))
                let signal = sine(frequency: frequency, rate: input, frames: input / 5)
                let (result, delay) = resampleIn20msChunks(signal, from: input, to: output, quality: quality)
                let ideal = sine(frequency: frequency, rate: output, frames: result.count - delay)
                let range = (ideal.count / 5)..<(ideal.count * 4 / 5)
                let value = snr(reference: ideal[range],
                                actual: result[(range.lowerBound + delay)..<(range.upperBound + delay)])
                #expect(value > (quality == .high ? 100 : 75), "\(input)->\(output): \(value) dB")
            }
        }
    }

    @Test("frequencies above the output Nyquist are rejected when downsampling",
          arguments: [(ResamplerQuality.high, 130.0), (.medium, 80.0)])
    func stopbandRejection(quality: ResamplerQuality, minimumRejection: Double) {
        for (input, output) in [(48000, 16000), (44100, 8000), (24000, 22050)] {
            for fraction in [1.03, 1.3, 2.0] where fraction * Double(output) / 2 < 0.98 * Double(input) / 2 {
                let frequency = fraction * Double(output) / 2
                let signal = sine(frequency: frequency, rate: input, frames: input / 5)
                let (result, delay) = resampleIn20msChunks(signal, from: input, to: output, quality: quality)
                let middle = result[(delay + result.count / 5)..<(result.count * 4 / 5)]
                let rejection = 20 * log10(rms(signal[...]) / max(rms(middle), 1e-30))
                #expect(rejection > minimumRejection, "\(input)->\(output) at \(frequency) Hz: \(rejection) dB")
            }
        }
    }

    @Test("stereo channels are resampled independently")
    func channelsAreIndependent() {
        let left = sine(frequency: 440, rate: 22050, frames: 5000)
        let right = sine(frequency: 3000, rate: 22050, frames: 5000, amplitude: 0.3)
        let stereo = zip(left, right).flatMap { [$0, $1] }
        let both = resampleIn20msChunks(stereo, from: 22050, to: 16000, channels: 2).output
        let leftOnly = resampleIn20msChunks(left, from: 22050, to: 16000).output
        let rightOnly = resampleIn20msChunks(right, from: 22050, to: 16000).output
        #expect(both.count == 2 * leftOnly.count)
        #expect(stride(from: 0, to: both.count, by: 2).map { both[$0] } == leftOnly)
        #expect(stride(from: 1, to: both.count, by: 2).map { both[$0] } == rightOnly)
    }

    @Test("Int16 path rounds and clamps the Float path")
    func int16RoundsAndClamps() {
        // A full-scale square wave overshoots after band-limiting (Gibbs), so
        // the Int16 output must clamp rather than wrap or trap.
        let square: [Int16] = (0..<4800).map { ($0 / 40) % 2 == 0 ? .max : .min }
        var pcm = StreamingResampler(inputRate: 48000, outputRate: 16000, channels: 1)
        var float = StreamingResampler(inputRate: 48000, outputRate: 16000, channels: 1)
        var pcmOut = [Int16](repeating: 0, count: pcm.maxOutputFrames(forInputFrames: square.count))
        var floatOut = [Float](repeating: 0, count: pcmOut.count)
        let pcmFrames = square.withUnsafeBufferPointer { i in pcmOut.withUnsafeMutableBufferPointer { pcm.process(i, into: $0) } }
        let floatIn = square.map { Float($0) / 32768 }
        let floatFrames = floatIn.withUnsafeBufferPointer { i in floatOut.withUnsafeMutableBufferPointer { float.process(i, into: $0) } }
        #expect(pcmFrames == floatFrames)
        #expect(pcmOut.contains(.max) && pcmOut.contains(.min))
        #expect(floatOut.contains { $0 > 1 }, "expected Gibbs overshoot in the float path")
        for (p, f) in zip(pcmOut, floatOut) {
            let expected = Int16(clamping: Int((f * 32768).rounded(.toNearestOrAwayFromZero)))
            #expect(p == expected)
        }
        var tail = [Int16](repeating: 0, count: pcm.pendingFlushFrames)
        #expect(tail.withUnsafeMutableBufferPointer { pcm.flush(into: $0) } == tail.count)
        #expect(Int16(resamplerValue: .nan) == 0)
        #expect(Int16(resamplerValue: 0.5 / 32768) == 1)
        #expect(Int16(resamplerValue: -0.5 / 32768) == -1)
        #expect(Int16(resamplerValue: 0.49 / 32768) == 0)
    }

    @Test("resampler state is a value: copies are independent")
    func copiesAreIndependent() {
        let signal = sine(frequency: 700, rate: 16000, frames: 640)
        var original = StreamingResampler(inputRate: 16000, outputRate: 24000, channels: 1)
        var scratch = [Float](repeating: 0, count: 2000)
        _ = signal.withUnsafeBufferPointer { i in scratch.withUnsafeMutableBufferPointer { original.process(i, into: $0) } }
        var copy = original
        let fromCopy = signal.withUnsafeBufferPointer { i in scratch.withUnsafeMutableBufferPointer { copy.process(i, into: $0) } }
        let copyOutput = Array(scratch[0..<fromCopy])
        let fromOriginal = signal.withUnsafeBufferPointer { i in scratch.withUnsafeMutableBufferPointer { original.process(i, into: $0) } }
        #expect(Array(scratch[0..<fromOriginal]) == copyOutput)
    }
}

// MARK: - Acceptance against sox

/// Locates an executable on PATH.
private func executable(named name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

private struct ToolFailure: Error, CustomStringConvertible {
    let description: String
}

/// Runs a tool to completion, throwing if it fails.
private func run(_ tool: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ToolFailure(description: "\(tool) \(arguments.joined(separator: " ")) failed: "
            + (String(data: message, encoding: .utf8) ?? ""))
    }
}

/// A minimal WAV reader for the files sox and espeak-ng write: mono or
/// interleaved 16-bit PCM or 32-bit float, plain or WAVE_FORMAT_EXTENSIBLE.
private struct WAVFile {
    var sampleRate: Int
    var channels: Int
    var samples: [Float]

    init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func tag(_ at: Int) -> String { String(decoding: bytes[at..<at + 4], as: UTF8.self) }
        guard bytes.count >= 12, tag(0) == "RIFF", tag(8) == "WAVE" else {
            throw ToolFailure(description: "\(url.path) is not a RIFF/WAVE file")
        }
        var format = 0, bits = 0, rate = 0, channels = 0
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = tag(offset)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt " {
                format = u16(body)
                channels = u16(body + 2)
                rate = u32(body + 4)
                bits = u16(body + 14)
                if format == 0xFFFE { format = u16(body + 24) }  // sub-format GUID starts with the code
            } else if id == "data" {
                let end = min(body + size, bytes.count)
                switch (format, bits) {
                case (1, 16):
                    samples = stride(from: body, to: end - 1, by: 2).map {
                        Float(Int16(bitPattern: UInt16(u16($0)))) / 32768
                    }
                case (3, 32):
                    samples = stride(from: body, to: end - 3, by: 4).map {
                        Float(bitPattern: UInt32(u32($0)))
                    }
                default:
                    throw ToolFailure(description: "unsupported WAV format \(format)/\(bits) bits")
                }
                sampleRate = rate
                self.channels = channels
                return
            }
            offset = body + size + (size & 1)
        }
        throw ToolFailure(description: "\(url.path) has no data chunk")
    }
}

private func writeRawFloat(_ samples: [Float], to url: URL) throws {
    try samples.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: url)
}

private struct ComparisonRow: Sendable {
    let inputRate: Int
    let outputRate: Int
    let delay: Int
    let speech: (snr: Double, lag: Int)
    let sweep: (snr: Double, lag: Int)
}

@Suite("StreamingResampler against sox rate -v")
struct ResamplerSoxComparisonTests {
    @Test("matches sox -v to >= 60 dB on speech and sweeps for every rate pair")
    func matchesSoxVeryHighQuality() async throws {
        guard let sox = executable(named: "sox"), let espeak = executable(named: "espeak-ng") else {
            Issue.record("sox and espeak-ng are required: apt-get install -y sox libsox-fmt-all espeak-ng")
            return
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("parley-resampler-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // Speech: espeak-ng's native output, normalised to -6 dBFS and brought
        // to each input rate by sox itself (as float, so no requantisation).
        let voice = directory.appendingPathComponent("voice.wav")
        try run(espeak, ["-w", voice.path,
                         "She sells sea shells, six thick thistle sticks."])
        var speechAtRate: [Int: [Float]] = [:]
        for rate in supportedRates {
            let file = directory.appendingPathComponent("speech-\(rate).wav")
            try run(sox, ["-D", voice.path, "-e", "floating-point", "-b", "32", file.path,
                          "gain", "-n", "-6", "rate", "-v", "\(rate)"])
            speechAtRate[rate] = try WAVFile(contentsOf: file).samples
        }
        let speech = speechAtRate

        let rows = try await withThrowingTaskGroup(of: ComparisonRow.self) { group in
            for input in supportedRates {
                for output in supportedRates where output != input {
                    group.addTask {
                        try compare(input: input, output: output, speech: speech[input]!,
                                    sox: sox, directory: directory)
                    }
                }
            }
            var rows: [ComparisonRow] = []
            for try await row in group { rows.append(row) }
            return rows.sorted { ($0.inputRate, $0.outputRate) < ($1.inputRate, $1.outputRate) }
        }

        var table = "StreamingResampler(.high) vs sox rate -v, 20 ms chunks, SNR after alignment\n"
        table += "  in Hz -> out Hz | speech dB | sweep dB | lag (= delayFrames)\n"
        for row in rows {
            table += String(format: "  %5d -> %6d | %9.1f | %8.1f | %d\n",
                            row.inputRate, row.outputRate, row.speech.snr, row.sweep.snr, row.delay)
        }
        let minimum = rows.map { min($0.speech.snr, $0.sweep.snr) }.min() ?? .nan
        table += String(format: "  minimum SNR over %d pairs x 2 signals: %.1f dB\n", rows.count, minimum)
        print(table)

        #expect(rows.count == supportedRates.count * (supportedRates.count - 1))
        for row in rows {
            let pair = "\(row.inputRate)->\(row.outputRate)"
            #expect(row.speech.snr >= 60, "speech \(pair): \(row.speech.snr) dB")
            #expect(row.sweep.snr >= 60, "sweep \(pair): \(row.sweep.snr) dB")
            #expect(row.speech.lag == row.delay, "speech \(pair): lag \(row.speech.lag)")
            #expect(row.sweep.lag == row.delay, "sweep \(pair): lag \(row.sweep.lag)")
        }
    }
}

/// Resamples speech and a sweep with StreamingResampler (20 ms chunks) and
/// with `sox rate -v`, and measures how closely they agree.
private func compare(input: Int, output: Int, speech: [Float], sox: String, directory: URL) throws -> ComparisonRow {
    let sweep = logSweep(from: 50, to: 0.45 * Double(min(input, output)), rate: input, seconds: 1)
    var measurements: [(snr: Double, lag: Int)] = []
    var delay = 0
    for (name, signal) in [("speech", speech), ("sweep", sweep)] {
        let source = directory.appendingPathComponent("\(name)-\(input)-\(output).f32")
        let target = directory.appendingPathComponent("\(name)-\(input)-\(output)-sox.wav")
        try writeRawFloat(signal, to: source)
        try run(sox, ["-D", "-t", "f32", "-r", "\(input)", "-c", "1", source.path,
                      "-e", "floating-point", "-b", "32", target.path, "rate", "-v", "\(output)"])
        let reference = try WAVFile(contentsOf: target).samples
        let ours = resampleIn20msChunks(signal, from: input, to: output)
        delay = ours.delay
        measurements.append(alignedSNR(reference: reference, delayed: ours.output, expectedLag: ours.delay))
    }
    return ComparisonRow(inputRate: input, outputRate: output, delay: delay,
                         speech: measurements[0], sweep: measurements[1])
}

// MARK: - Timing (reported, never asserted)

@Suite("StreamingResampler timing")
struct ResamplerTimingTests {
    @Test("time per 20 ms mono frame (printed)")
    func timePerFrame() {
        #if DEBUG
        let configuration = "debug build: figures are not representative, use swift test -c release"
        let iterations = 100
        #else
        let configuration = "release build"
        let iterations = 2000
        #endif
        var report = "StreamingResampler(.high) time per 20 ms mono Float frame (\(configuration)):\n"
        for (input, output) in [(48000, 16000), (16000, 48000)] {
            var resampler = StreamingResampler(inputRate: input, outputRate: output, channels: 1)
            let frame = input / 50
            let signal = sine(frequency: 440, rate: input, frames: frame * 10)
            var scratch = [Float](repeating: 0, count: resampler.maxOutputFrames(forInputFrames: frame) + 8)
            let clock = ContinuousClock()
            let elapsed = signal.withUnsafeBufferPointer { samples in
                scratch.withUnsafeMutableBufferPointer { out in
                    clock.measure {
                        for index in 0..<iterations {
                            let start = (index % 10) * frame
                            _ = resampler.process(UnsafeBufferPointer(rebasing: samples[start..<(start + frame)]), into: out)
                        }
                    }
                }
            }
            let microseconds = Double(elapsed.components.attoseconds) / 1e12 / Double(iterations)
                + Double(elapsed.components.seconds) * 1e6 / Double(iterations)
            report += String(format: "  %5d -> %5d: %8.2f us\n", input, output, microseconds)
        }
        print(report)
    }
}
