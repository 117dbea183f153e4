// SPDX-License-Identifier: Apache-2.0
//
// Licence note: Piper's phonemes come from espeak-ng (GPL-3.0-or-later) through `PiperSynthesizer`.

import ParleyCore
import Synchronization

/// Text-to-speech with Piper (`piper/joe-medium`, VITS voices run by sherpa-onnx): the
/// natural-sounding local voice, RTF ~0.06 on 2 cores (~80-110 ms for a short sentence).
///
/// ```
///   loop:    agent TextFrame ─► (mediaNow, epoch, generation) ─► worker.run
///   worker:  sentences of the text ─► PiperSynthesizer (whole sentence) ─► 20 ms Int16 frames
///            ─► mailbox.post(…, epoch:): ttfb · agentStartedSpeaking · the TextFrame · audio… · agentStoppedSpeaking
///   loop:    interruption ─► generation.bump() ─► synthesis stops before the next sentence/frame
/// ```
///
/// Piper synthesises a sentence at a time (it is not a streaming model), so a text of several
/// sentences is cut into sentences and each is posted as soon as it is ready: the first audio
/// of a text costs one sentence, not the whole text. An LLM stage already sends a sentence (or
/// a first clause) per `TextFrame`. The model is loaded and warmed up in `start`, so the
/// first reply does not pay ONNX Runtime's lazy initialisation.
///
/// Output: the voice's native rate (22.05 kHz for joe-medium), mono, 20 ms frames, stamped on
/// the media timeline from `StageContext.mediaNow` when the text arrived, and after the end of
/// the previous text of the same reply (so its sentences follow each other without overlap).
/// The agent `TextFrame` is posted through the mailbox immediately before its first audio frame,
/// so outputs see text and audio in order; everything is posted with the epoch captured when
/// the text arrived, so output of an interrupted reply is dropped by the engine.
public final class PiperTTSStage: Stage {
    public let name = "tts:piper"
    public var accepts: FrameKinds { .text }
    public var produces: FrameKinds { [.audio, .control, .text] }

    /// Installed voices and their native sample rates (known before the model loads, because
    /// the graph is negotiated before `start`; `start` checks the model agrees).
    public static let voices: [String: Int] = ["joe-medium": 22_050]
    public static let defaultVoice = "joe-medium"

    public struct Settings: Sendable {
        public var voice = PiperTTSStage.defaultVoice
        /// ONNX Runtime threads for synthesis. One: 2 threads are ~20 % faster on an idle machine
        /// but ~2× slower while the LLM or STT runs beside it (ORT's threads spin-wait).
        public var threads = 1
        /// Speaking rate (> 1 is faster).
        public var speed = 1.0
        public init() {}
    }

    /// What lives on the worker thread: the synthesiser, the frame buffers, and where the
    /// previous text's audio ended.
    final class WorkerState {
        let synthesizer: PiperSynthesizer
        let pool: AudioBufferPool
        let frameSamples: Int
        var lastGeneration: UInt64 = .max
        var lastEnd: Nanos = 0

        init(files: LocalEngineFiles, settings: Settings, sampleRate: Int) throws {
            synthesizer = try PiperSynthesizer(files: files, numThreads: settings.threads)
            // The graph was negotiated for the declared rate; a model with another one would
            // play at the wrong speed.
            guard synthesizer.sampleRate == sampleRate else {
                throw LocalEngineError.engineCreationFailed(
                    engine: "Piper TTS", detail: "voice \(settings.voice) runs at \(synthesizer.sampleRate) Hz, expected \(sampleRate) Hz")
            }
            frameSamples = sampleRate / 50
            synthesizer.speed = Float(settings.speed)
            pool = AudioBufferPool(bufferCapacity: frameSamples, preallocate: 64)
            // Warm-up: ONNX Runtime initialises lazily on the first run.
            _ = try synthesizer.synthesize("Hello there.")
        }
    }

    public let settings: Settings
    public let sampleRate: Int
    private let frameSamples: Int
    private let worker: ProviderWorker<WorkerState>
    private let generation = Generation()

    /// Bumped on interruption; a running synthesis compares and stops.
    final class Generation: Sendable {
        let value = Atomic<UInt64>(0)
        var current: UInt64 { value.load(ordering: .relaxed) }
        func bump() { value.add(1, ordering: .relaxed) }
    }

    public init(files: LocalEngineFiles, settings: Settings = Settings()) throws {
        guard let rate = Self.voices[settings.voice] else {
            throw LocalEngineError.invalidInput(
                engine: "Piper TTS", detail: "unknown voice \"\(settings.voice)\" (installed: \(Self.voices.keys.sorted().joined(separator: ", ")))")
        }
        try LocalEngineFiles.require([files.piperModel, files.piperTokens], engine: "Piper TTS")
        self.settings = settings
        sampleRate = rate
        frameSamples = rate / 50
        worker = ProviderWorker(label: "parley.tts.piper") {
            try WorkerState(files: files, settings: settings, sampleRate: rate)
        }
    }

    public func outputFormat(for input: AudioFormat) -> AudioFormat {
        AudioFormat(sampleRate: sampleRate, channels: 1, samplesPerFrame: frameSamples)
    }

    public func start(_ context: StageContext) throws { try worker.start() }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .text(let text) = frame, text.role == .agent else { return context.emit(frame) }
        let mailbox = context.mailbox
        let epoch = context.epoch
        let arrivedAt = context.mediaNow
        let format = context.outputFormat
        let requested = context.now()
        let clock = context.clock
        let generation = generation
        let gen = generation.current
        let stageName = name
        let rate = sampleRate
        worker.run { state in
            guard generation.current == gen else { return }
            // Sentences of one reply follow each other; a new reply (after an interruption)
            // starts where the input is.
            var timestamp = state.lastGeneration == gen ? max(arrivedAt, state.lastEnd) : arrivedAt
            var sequence: UInt64 = 0
            var spoke = false
            defer {
                if spoke { mailbox.post(.control(.agentStoppedSpeaking), epoch: epoch) }
                state.lastGeneration = gen
                state.lastEnd = timestamp
            }
            for sentence in Self.sentences(of: text.text) {
                let audio: SynthesizedAudio
                do {
                    audio = try state.synthesizer.synthesize(sentence)
                } catch {
                    mailbox.post(.control(.error(StageFailure(stage: stageName, message: "\(error)", isFatal: false))))
                    return
                }
                guard generation.current == gen else { return }
                guard !audio.samples.isEmpty else { continue }
                if !spoke {
                    spoke = true
                    mailbox.post(.control(.metric(StageMetric(stage: stageName, name: "ttfb",
                                                              nanoseconds: clock.now() - requested))), epoch: epoch)
                    mailbox.post(.control(.agentStartedSpeaking), epoch: epoch)
                    mailbox.post(frame, epoch: epoch)
                }
                var i = 0
                while i < audio.samples.count {
                    guard generation.current == gen else { return }
                    let n = min(state.frameSamples, audio.samples.count - i)
                    let buffer = state.pool.acquire()
                    for j in 0..<n {
                        let v = audio.samples[i + j] * 32767
                        buffer.storage[j] = Int16(max(-32768, min(32767, v.rounded())))
                    }
                    mailbox.post(.audio(AudioFrame(buffer: buffer, format: format, sampleCount: n, timestamp: timestamp,
                                                   sequence: sequence, role: .agent)), epoch: epoch)
                    timestamp += Nanos(n) * 1_000_000_000 / Nanos(rate)
                    sequence += 1
                    i += n
                }
            }
            // A text that made no sound (only punctuation) still reaches the outputs.
            if !spoke { mailbox.post(frame, epoch: epoch) }
        }
    }

    /// The text's sentences, so each is spoken as soon as it is synthesised.
    static func sentences(of text: String) -> [String] {
        var chunker = SentenceChunker()
        var parts = chunker.add(text)
        if let rest = chunker.finish() { parts.append(rest) }
        return parts
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        guard case .endOfStream = frame else { return .forward }
        // Hold end of stream until the queued texts have been spoken.
        let mailbox = context.mailbox
        worker.run { _ in mailbox.post(.control(.endOfStream)) }
        return .consume
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) { generation.bump() }

    public func stop(_ context: StageContext) { worker.stop() }

    public func cancel(_ context: StageContext) {
        generation.bump()
        worker.stop()
    }

    public static let registration = StageRegistration(
        provider: "piper", kinds: [.tts],
        summary: "Piper voices through sherpa-onnx (local, natural; a sentence at a time, ~0.1 s each)",
        models: voices.keys.sorted(),
        options: [
            .int("threads", 1 ... 16, default: 1, help: "ONNX Runtime threads for synthesis"),
            .double("speed", 0.5 ... 2, default: 1, help: "speaking rate (> 1 is faster)"),
        ],
        license: "MIT (Piper voice), Apache-2.0 (sherpa-onnx), GPL-3.0 (espeak-ng phonemes)"
    ) { request in
        var s = Settings()
        s.voice = request.descriptor.model ?? defaultVoice
        s.threads = request.options.int("threads")
        s.speed = request.options.double("speed")
        return try PiperTTSStage(files: try LocalEngineFiles.locate(environment: request.environment), settings: s)
    }
}
