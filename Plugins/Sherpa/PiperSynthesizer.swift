// SPDX-License-Identifier: Apache-2.0
//
// Licence note: this file uses `ParleyEspeakEngine` for phonemes, so a binary that links
// `ParleySherpaEngines` also links libespeak-ng (GPL-3.0-or-later).

import CSherpaOnnx
import ParleyEspeakEngine

/// Mono float audio with its rate.
public struct SynthesizedAudio: Sendable {
    public var samples: [Float]
    public var sampleRate: Int
    public var duration: Double { Double(samples.count) / Double(sampleRate) }
}

/// Piper en_US-joe-medium (VITS, MIT voice package) run by sherpa-onnx: the natural-sounding
/// local voice (RTF ~0.06 on 2 cores, ~80-110 ms for a short sentence, not streamed).
///
/// sherpa-onnx 2.x has no built-in phonemizer, so the IPA comes from Debian's espeak-ng through
/// `EspeakPhonemizer`, exactly as Piper's own front end would produce it.
/// Output: 22 050 Hz mono float (the voice's native rate); the pipeline converts rates.
///
/// Threading: not `Sendable`; confine an instance to one thread (one pipeline stage owns one).
public final class PiperSynthesizer {
    private let tts: OpaquePointer
    private let phonemizer: EspeakPhonemizer
    public let sampleRate: Int
    /// Speaking rate: > 1 is faster.
    public var speed: Float = 1

    public init(files: LocalEngineFiles, numThreads: Int = 2) throws {
        try LocalEngineFiles.require([files.piperModel, files.piperTokens], engine: "Piper TTS")
        phonemizer = try EspeakPhonemizer(voice: "en-us")
        let cs = CStrings()
        var config = SherpaOnnxOfflineTtsConfig()
        config.model.vits.model = cs(files.piperModel.path)
        config.model.vits.tokens = cs(files.piperTokens.path)
        config.model.vits.noise_scale = 0.667
        config.model.vits.noise_scale_w = 0.8
        config.model.vits.length_scale = 1
        config.model.num_threads = Int32(numThreads)
        config.model.provider = cs("cpu")
        config.max_num_sentences = 1
        guard let tts = SherpaOnnxCreateOfflineTts(&config) else {
            throw LocalEngineError.engineCreationFailed(engine: "Piper TTS", detail: files.piperModel.path)
        }
        self.tts = tts
        sampleRate = Int(SherpaOnnxOfflineTtsSampleRate(tts))
    }

    deinit { SherpaOnnxDestroyOfflineTts(tts) }

    /// Synthesises `text` (all sentences, concatenated).
    public func synthesize(_ text: String) throws -> SynthesizedAudio {
        let sentences = try phonemizer.phonemize(text)
        guard !sentences.isEmpty else { return SynthesizedAudio(samples: [], sampleRate: sampleRate) }
        var codepoints: [Int32] = []
        var lengths: [Int32] = []
        for s in sentences {
            let scalars = s.unicodeScalars.map { Int32(bitPattern: $0.value) }
            codepoints += scalars
            lengths.append(Int32(scalars.count))
        }
        var gen = SherpaOnnxGenerationConfig()
        gen.speed = speed
        gen.silence_scale = 0.2
        gen.sid = 0
        let audio: UnsafePointer<SherpaOnnxGeneratedAudio>? = codepoints.withUnsafeBufferPointer { cps in
            lengths.withUnsafeBufferPointer { lens in
                gen.phoneme_codepoints = cps.baseAddress
                gen.phoneme_codepoints_lens = lens.baseAddress
                gen.phoneme_codepoints_num_sentences = Int32(lens.count)
                // `text` is unused when phonemes are given, but must not be NULL.
                return SherpaOnnxOfflineTtsGenerateWithConfig(tts, "", &gen, nil, nil)
            }
        }
        guard let audio else {
            throw LocalEngineError.processingFailed(engine: "Piper TTS", detail: "generation returned no audio")
        }
        defer { SherpaOnnxDestroyOfflineTtsGeneratedAudio(audio) }
        let a = audio.pointee
        let samples = a.samples.map { Array(UnsafeBufferPointer(start: $0, count: Int(a.n))) } ?? []
        return SynthesizedAudio(samples: samples, sampleRate: Int(a.sample_rate))
    }
}
