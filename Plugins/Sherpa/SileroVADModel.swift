// SPDX-License-Identifier: Apache-2.0

import CSherpaOnnx

/// Silero VAD v6 (MIT model from the `silero-vad` wheel) run by sherpa-onnx (Apache-2.0).
///
/// Feed 16 kHz mono float audio in windows of 512 samples (32 ms; other sizes are buffered);
/// sherpa-onnx applies the threshold and the min-speech/min-silence hangovers and queues finished
/// speech segments. Cost: ~0.1 ms per window on 2 cores. sherpa-onnx's C API does not expose the
/// raw per-window probability, so this reports the debounced in-speech state and the segments.
///
/// Threading: not `Sendable`; confine an instance to one thread (one pipeline stage owns one).
public final class SileroVADModel {
    public static let sampleRate = 16_000
    public static let windowSize = 512

    /// A finished stretch of speech, in input samples since creation (or the last `reset`).
    public struct Segment: Sendable, Equatable {
        public let start: Int
        public let samples: [Float]
        public var end: Int { start + samples.count }
    }

    public struct Options: Sendable {
        /// Probability above which a window counts as speech.
        public var threshold: Float = 0.5
        /// Silence that closes a segment (the endpoint hangover).
        public var minSilenceDuration: Float = 0.3
        /// Shorter bursts are dropped (clicks, breaths).
        public var minSpeechDuration: Float = 0.25
        /// Longer speech is split.
        public var maxSpeechDuration: Float = 20
        /// How much audio sherpa-onnx keeps for the segment in progress.
        public var bufferSeconds: Float = 60
        public init() {}
    }

    private let vad: OpaquePointer

    public init(files: LocalEngineFiles, options: Options = Options()) throws {
        try LocalEngineFiles.require([files.sileroVAD], engine: "Silero VAD")
        let cs = CStrings()
        var config = SherpaOnnxVadModelConfig()
        config.silero_vad.model = cs(files.sileroVAD.path)
        config.silero_vad.threshold = options.threshold
        config.silero_vad.min_silence_duration = options.minSilenceDuration
        config.silero_vad.min_speech_duration = options.minSpeechDuration
        config.silero_vad.max_speech_duration = options.maxSpeechDuration
        config.silero_vad.window_size = Int32(Self.windowSize)
        config.sample_rate = Int32(Self.sampleRate)
        config.num_threads = 1
        config.provider = cs("cpu")
        guard let vad = SherpaOnnxCreateVoiceActivityDetector(&config, options.bufferSeconds) else {
            throw LocalEngineError.engineCreationFailed(engine: "Silero VAD", detail: files.sileroVAD.path)
        }
        self.vad = vad
    }

    deinit { SherpaOnnxDestroyVoiceActivityDetector(vad) }

    /// Feeds samples (normally one 512-sample window) and returns whether the detector is now
    /// inside speech.
    @discardableResult
    public func accept(_ samples: [Float]) -> Bool {
        samples.withUnsafeBufferPointer { buf in
            SherpaOnnxVoiceActivityDetectorAcceptWaveform(vad, buf.baseAddress, Int32(buf.count))
        }
        return isSpeech
    }

    /// Whether the last window left the detector inside speech.
    public var isSpeech: Bool { SherpaOnnxVoiceActivityDetectorDetected(vad) != 0 }

    /// Removes and returns the finished segments.
    public func popSegments() -> [Segment] {
        var out: [Segment] = []
        while SherpaOnnxVoiceActivityDetectorEmpty(vad) == 0 {
            guard let seg = SherpaOnnxVoiceActivityDetectorFront(vad) else { break }
            let p = seg.pointee
            let samples = p.samples.map { Array(UnsafeBufferPointer(start: $0, count: Int(p.n))) } ?? []
            out.append(Segment(start: Int(p.start), samples: samples))
            SherpaOnnxDestroySpeechSegment(seg)
            SherpaOnnxVoiceActivityDetectorPop(vad)
        }
        return out
    }

    /// Closes a segment still open at the end of the input (end of stream).
    public func flush() { SherpaOnnxVoiceActivityDetectorFlush(vad) }

    /// Forgets all state (new stream, or after an interruption).
    public func reset() { SherpaOnnxVoiceActivityDetectorReset(vad) }
}
