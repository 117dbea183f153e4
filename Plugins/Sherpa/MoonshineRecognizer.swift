// SPDX-License-Identifier: Apache-2.0

import CSherpaOnnx
import Foundation

/// Moonshine base-en speech-to-text (MIT model from the `moonshine-cpp` wheel) run by sherpa-onnx.
///
/// Offline: give it a whole utterance (best with the VAD's ~300 ms silence tail; a clip cut right at
/// the last phoneme once made it repeat itself). ~0.3-0.5 s per 1-3 s utterance on 2 cores, memory
/// stable across calls (unlike moonshine-cpp's own library, which leaks per call). One thread is as
/// fast as two, and leaves a core for the rest of the pipeline.
///
/// The first decode pays ONNX Runtime's lazy initialisation (~0.8 s), so `init` runs a warm-up
/// on silence unless told not to.
///
/// Threading: not `Sendable`; confine an instance to one thread (one pipeline stage owns one).
public final class MoonshineRecognizer {
    private let recognizer: OpaquePointer
    /// How long the warm-up decode took (nil when skipped): the cold-start cost a session avoided.
    public private(set) var warmUpDuration: Duration?

    public init(files: LocalEngineFiles, numThreads: Int = 1, warmUp: Bool = true) throws {
        try LocalEngineFiles.require([files.moonshineEncoder, files.moonshineDecoder, files.moonshineTokens],
                                     engine: "Moonshine STT")
        let cs = CStrings()
        var config = SherpaOnnxOfflineRecognizerConfig()
        config.feat_config.sample_rate = 16_000
        config.feat_config.feature_dim = 80
        config.model_config.moonshine.encoder = cs(files.moonshineEncoder.path)
        config.model_config.moonshine.merged_decoder = cs(files.moonshineDecoder.path)
        config.model_config.tokens = cs(files.moonshineTokens.path)
        config.model_config.num_threads = Int32(numThreads)
        config.model_config.provider = cs("cpu")
        config.decoding_method = cs("greedy_search")
        guard let recognizer = SherpaOnnxCreateOfflineRecognizer(&config) else {
            throw LocalEngineError.engineCreationFailed(engine: "Moonshine STT", detail: files.moonshineEncoder.path)
        }
        self.recognizer = recognizer
        if warmUp { try self.warmUp() }
    }

    /// Runs one throw-away decode so the first user utterance doesn't pay ONNX Runtime's lazy
    /// initialisation. A real speech clip (e.g. a sentence from espeak-ng) warms the decoder
    /// fully; the default buzz warms the encoder and about half of the decoder's first-call cost.
    public func warmUp(with samples: [Float]? = nil) throws {
        let start = ContinuousClock.now
        _ = try transcribe(samples ?? Self.warmUpSignal)
        warmUpDuration = .now - start
    }

    deinit { SherpaOnnxDestroyOfflineRecognizer(recognizer) }

    /// 2.5 s of a voiced-like buzz (150 Hz with harmonics), about as long as an utterance.
    /// Pure silence is not enough: sherpa-onnx returns early on it (~3 ms) and the first real
    /// utterance would still pay the whole cold start.
    static let warmUpSignal: [Float] = (0 ..< 40_000).map { i in
        let t = Float(i) / 16_000
        var v: Float = 0
        for h in 1 ... 8 { v += sin(2 * .pi * 150 * Float(h) * t) / Float(h) }
        return 0.05 * v * (0.5 + 0.5 * sin(2 * .pi * 3 * t))
    }

    /// Transcribes one utterance of mono float samples in [-1, 1].
    /// - Parameter sampleRate: normally 16 000 (the model's rate); sherpa-onnx resamples others.
    /// - Returns: the text, trimmed; empty for silence.
    public func transcribe(_ samples: [Float], sampleRate: Int = 16_000) throws -> String {
        guard sampleRate > 0 else {
            throw LocalEngineError.invalidInput(engine: "Moonshine STT", detail: "sample rate \(sampleRate)")
        }
        guard !samples.isEmpty else { return "" }
        guard let stream = SherpaOnnxCreateOfflineStream(recognizer) else {
            throw LocalEngineError.processingFailed(engine: "Moonshine STT", detail: "could not create a stream")
        }
        defer { SherpaOnnxDestroyOfflineStream(stream) }
        samples.withUnsafeBufferPointer { buf in
            SherpaOnnxAcceptWaveformOffline(stream, Int32(sampleRate), buf.baseAddress, Int32(buf.count))
        }
        SherpaOnnxDecodeOfflineStream(recognizer, stream)
        guard let result = SherpaOnnxGetOfflineStreamResult(stream) else {
            throw LocalEngineError.processingFailed(engine: "Moonshine STT", detail: "no result")
        }
        defer { SherpaOnnxDestroyOfflineRecognizerResult(result) }
        let text = result.pointee.text.map { String(cString: $0) } ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
