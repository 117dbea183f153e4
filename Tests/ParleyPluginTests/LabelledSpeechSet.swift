// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyAudio
import ParleyCore

/// A labelled speech set built at test time, so the VAD and NS evaluations need no data files.
///
/// Construction:
/// 1. `espeak-ng` speaks eight short voice-agent sentences, each with a different voice and
///    speed (22.05 kHz), resampled to 16 kHz with Parley's `StreamingResampler` (group delay
///    removed, tail flushed).
/// 2. They are concatenated with digital silences of known lengths (`leadingSilence`, `gaps`,
///    `trailingSilence`; every gap exceeds the VADs' 300 ms hangover, so each sentence is a
///    turn of its own), and the whole track is scaled to an active-speech level of −26 dBFS.
/// 3. **Labels come from the clean track only.** A 10 ms frame (160 samples) is *speech* when
///    its mean-square energy is within `labelThresholdDB` (40 dB) of the loudest 10 ms frame of
///    the track; everything else is non-speech. 40 dB keeps weak fricatives and word edges as
///    speech while espeak's inter-word pauses and the inserted silences stay non-speech.
///    *Turn labels* additionally fill non-speech runs shorter than `bridgeMs` (300 ms) that
///    lie between speech frames — the reference a VAD with a 300 ms hangover should produce —
///    and are what the F1 in the report is computed against; raw frame labels are also scored.
/// 4. `noisy(_:snrDB:)` adds noise scaled so that *active speech power* (mean square over the
///    speech-labelled frames) over noise power (mean square over the whole track) equals the
///    SNR. Silences therefore carry the same noise as speech, as in a real room.
///
/// Each utterance's labelled onset is its first speech frame, its end the last one.
struct LabelledSpeechSet: Sendable {
    static let sampleRate = 16_000
    static let labelFrame = 160
    static let labelThresholdDB = -40.0
    static let bridgeMs = 300
    static let activeLevelDBFS = -26.0

    struct Utterance: Sendable {
        var text: String
        var voice: String
        var speed: Int
    }

    static let script: [Utterance] = [
        .init(text: "Hi, I'd like to book a table for two tonight.", voice: "en-us", speed: 160),
        .init(text: "Can you turn on the kitchen lights, please?", voice: "en-gb", speed: 140),
        .init(text: "What's the weather going to be like tomorrow morning?", voice: "en-us+f3", speed: 175),
        .init(text: "Actually, make that three people instead of two.", voice: "en-gb-x-rp", speed: 150),
        .init(text: "How far is the moon from the earth?", voice: "en-us+m3", speed: 190),
        .init(text: "Please remind me to call my sister at six.", voice: "en-029", speed: 165),
        .init(text: "No, that's all for now, thank you very much.", voice: "en-us+f2", speed: 145),
        .init(text: "Read me the first message from my inbox.", voice: "en-gb-scotland", speed: 170),
    ]
    static let leadingSilence = 1.2
    static let gaps = [0.5, 1.0, 0.8, 1.5, 0.6, 2.0, 0.7]
    static let trailingSilence = 1.0

    /// Labelled extent of one utterance, in 10 ms frames (end exclusive).
    struct Span: Sendable {
        var onsetFrame: Int
        var endFrame: Int
        var onset: Nanos { Nanos(onsetFrame) * 10_000_000 }
        var end: Nanos { Nanos(endFrame) * 10_000_000 }
    }

    /// The clean track, −1…1, 16 kHz.
    var clean: [Float]
    /// Per 10 ms frame: energy label.
    var speechFrames: [Bool]
    /// Per 10 ms frame: energy label with short pauses bridged.
    var turnFrames: [Bool]
    var spans: [Span]
    /// Each utterance's samples (babble material).
    var utteranceAudio: [[Float]]
    var activePower: Double

    var frameCount: Int { speechFrames.count }
    var duration: Double { Double(clean.count) / Double(Self.sampleRate) }

    /// Built once per test process (espeak-ng runs eight times, ~0.1 s).
    static let shared: Result<LabelledSpeechSet, SetupFailure> = Result { () throws(SetupFailure) in try build() }

    struct SetupFailure: Error, CustomStringConvertible {
        var description: String
    }

    static func build() throws(SetupFailure) -> LabelledSpeechSet {
        var pieces: [[Float]] = []
        for u in script { pieces.append(try synthesize(u)) }
        var track = [Float](repeating: 0, count: Int(leadingSilence * Double(sampleRate)))
        var ranges: [Range<Int>] = []
        for (i, p) in pieces.enumerated() {
            ranges.append(track.count..<(track.count + p.count))
            track += p
            let silence = i < gaps.count ? gaps[i] : trailingSilence
            track += [Float](repeating: 0, count: Int(silence * Double(sampleRate)))
        }
        // Whole label frames only.
        track += [Float](repeating: 0, count: (labelFrame - track.count % labelFrame) % labelFrame)

        let frames = track.count / labelFrame
        var energies = [Double](repeating: 0, count: frames)
        for f in 0..<frames {
            var s = 0.0
            for i in (f * labelFrame)..<((f + 1) * labelFrame) { s += Double(track[i]) * Double(track[i]) }
            energies[f] = s / Double(labelFrame)
        }
        let peak = energies.max() ?? 0
        let floor = peak * pow(10, labelThresholdDB / 10)
        let speech = energies.map { $0 > floor && $0 > 0 }
        let active = zip(energies, speech).filter(\.1).map(\.0)
        let power = active.reduce(0, +) / Double(max(1, active.count))
        let gain = Float((pow(10, activeLevelDBFS / 10) / power).squareRoot())
        for i in track.indices { track[i] *= gain }

        var spans: [Span] = []
        for r in ranges {
            let lo = r.lowerBound / labelFrame, hi = min(frames, (r.upperBound + labelFrame - 1) / labelFrame)
            guard let first = (lo..<hi).first(where: { speech[$0] }),
                  let last = (lo..<hi).last(where: { speech[$0] }) else {
                throw SetupFailure(description: "espeak-ng produced a silent utterance")
            }
            spans.append(Span(onsetFrame: first, endFrame: last + 1))
        }
        return LabelledSpeechSet(clean: track, speechFrames: speech, turnFrames: bridge(speech),
                                 spans: spans, utteranceAudio: ranges.map { Array(track[$0]) },
                                 activePower: pow(10, activeLevelDBFS / 10))
    }

    /// Fills non-speech runs shorter than `bridgeMs` that have speech on both sides.
    static func bridge(_ labels: [Bool]) -> [Bool] {
        var out = labels
        let maxGap = bridgeMs / 10
        var lastSpeech: Int?
        for i in labels.indices where labels[i] {
            if let j = lastSpeech, i - j - 1 > 0, i - j - 1 < maxGap {
                for k in (j + 1)..<i { out[k] = true }
            }
            lastSpeech = i
        }
        return out
    }

    /// The track with `kind` noise at `snrDB` (active speech power over noise power).
    func noisy(_ kind: NoiseKind, snrDB: Double) -> [Float] {
        let n = clean.count
        let noise: [Float]
        switch kind {
        case .white: noise = NoiseGenerator.white(count: n, seed: 0x5EED_0001)
        case .pink: noise = NoiseGenerator.pink(count: n, seed: 0x5EED_0002)
        case .babble: noise = NoiseGenerator.babble(count: n, material: utteranceAudio, seed: 0x5EED_0003)
        }
        let noisePower = noise.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
        let g = Float((activePower / pow(10, snrDB / 10) / noisePower).squareRoot())
        return (0..<n).map { clean[$0] + g * noise[$0] }
    }

    static func int16(_ x: [Float]) -> [Int16] {
        x.map { Int16(clamping: Int(($0 * 32768).rounded())) }
    }

    // MARK: espeak-ng

    private static func synthesize(_ u: Utterance) throws(SetupFailure) -> [Float] {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("parley-espeak-\(getpid())-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["espeak-ng", "-v", u.voice, "-s", String(u.speed), "-w", path, u.text]
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch {
            throw SetupFailure(description: "cannot run espeak-ng (install it: scripts/install-deps): \(error)")
        }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw SetupFailure(description: "espeak-ng -v \(u.voice) exited \(p.terminationStatus); is espeak-ng installed?")
        }
        let wav: WAVFile
        do { wav = try WAVReader.read(path: path) } catch {
            throw SetupFailure(description: "espeak-ng output unreadable: \(error)")
        }
        let rate = wav.format.sampleRate
        let mono = stride(from: 0, to: wav.samples.count, by: wav.format.channels).map { Float(wav.samples[$0]) / 32768 }
        guard rate != sampleRate else { return mono }
        // Resample once here (harness preparation); the stages' own conversions happen in the pipeline.
        var r = StreamingResampler(inputRate: rate, outputRate: sampleRate, channels: 1, quality: .medium)
        var out = [Float](repeating: 0, count: r.maxOutputFrames(forInputFrames: mono.count))
        let produced = mono.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { r.process(i, into: $0) } }
        var tail = [Float](repeating: 0, count: r.pendingFlushFrames)
        let t = tail.withUnsafeMutableBufferPointer { r.flush(into: $0) }
        out = Array(out[0..<produced]) + tail[0..<t]
        return Array(out.dropFirst(r.delayFrames))
    }
}
