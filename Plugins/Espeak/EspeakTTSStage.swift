// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import Synchronization

/// Text-to-speech with espeak-ng (GPL-3.0): instant, robotic, dependency-light. Speaks agent
/// `TextFrame`s and passes each on right before its audio (for transcription outputs, which the
/// playout releases in step); user text passes through.
///
/// Synthesis runs on a `ProviderWorker`, streaming: each 20 ms of audio is posted back as it is
/// produced (espeak's first chunk comes in well under a millisecond), stamped on the media
/// timeline from `StageContext.mediaNow`. `agentStartedSpeaking`/`agentStoppedSpeaking` frame
/// each utterance. On an interruption the running synthesis stops at its next chunk and any
/// audio still in flight is dropped by the engine (interruption epochs).
public final class EspeakTTSStage: Stage {
    public let name = "tts:espeak"
    public var accepts: FrameKinds { .text }
    public var produces: FrameKinds { [.audio, .control] }

    /// espeak-ng synthesises at 22.05 kHz; the engine converts for the output.
    public static let sampleRate = 22_050
    static let frameSamples = 441 // 20 ms

    /// What lives on the worker thread: the synthesiser and the buffers its frames use.
    final class WorkerState {
        let synthesizer: EspeakSynthesizer
        let pool = AudioBufferPool(bufferCapacity: EspeakTTSStage.frameSamples, preallocate: 32)
        init(voice: String, wordsPerMinute: Int) throws {
            synthesizer = try EspeakSynthesizer(voice: voice, wordsPerMinute: wordsPerMinute)
        }
    }

    private let worker: ProviderWorker<WorkerState>
    /// Bumped on interruption; a running synthesis compares and stops.
    private let generation = Generation()

    final class Generation: Sendable {
        let value = Atomic<UInt64>(0)
        var current: UInt64 { value.load(ordering: .relaxed) }
        func bump() { value.add(1, ordering: .relaxed) }
    }

    public init(voice: String = "en-us", wordsPerMinute: Int = 175) {
        worker = ProviderWorker(label: "parley.tts.espeak") { try WorkerState(voice: voice, wordsPerMinute: wordsPerMinute) }
    }

    public func outputFormat(for input: AudioFormat) -> AudioFormat {
        AudioFormat(sampleRate: Self.sampleRate, channels: 1, samplesPerFrame: Self.frameSamples)
    }

    public func start(_ context: StageContext) throws { try worker.start() }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .text(let t) = frame, t.role == .agent else { return context.emit(frame) }
        let mailbox = context.mailbox
        let epoch = context.epoch
        // Placed at the input's current media time; a reply that overlaps an earlier one is
        // queued behind it by whatever plays the output.
        let start = context.mediaNow
        let format = context.outputFormat
        let requested = context.now()
        let clock = context.clock
        let generation = generation
        let gen = generation.current
        let text = t.text
        worker.run { state in
            // The text goes on right before its audio, so the playout releases it in step.
            mailbox.post(.text(t), epoch: epoch)
            mailbox.post(.control(.agentStartedSpeaking), epoch: epoch)
            var timestamp = start
            var sequence: UInt64 = 0
            var buffer = state.pool.acquire()
            var filled = 0
            var first = true
            func flush(_ count: Int) {
                let f = AudioFrame(buffer: buffer, format: format, sampleCount: count, timestamp: timestamp,
                                   sequence: sequence, role: .agent)
                if first {
                    first = false
                    mailbox.post(.control(.metric(StageMetric(stage: "tts:espeak", name: "ttfb",
                                                              nanoseconds: clock.now() - requested))), epoch: epoch)
                }
                mailbox.post(.audio(f), epoch: epoch)
                timestamp += Nanos(count) * 1_000_000_000 / Nanos(EspeakTTSStage.sampleRate)
                sequence += 1
                buffer = state.pool.acquire()
            }
            _ = try? state.synthesizer.synthesize(text) { chunk in
                var i = 0
                while i < chunk.count {
                    let n = min(EspeakTTSStage.frameSamples - filled, chunk.count - i)
                    buffer.storage.advanced(by: filled).update(from: chunk.baseAddress!.advanced(by: i), count: n)
                    filled += n
                    i += n
                    if filled == EspeakTTSStage.frameSamples { flush(filled); filled = 0 }
                }
                return generation.current == gen
            }
            if filled > 0 { flush(filled) }
            mailbox.post(.control(.agentStoppedSpeaking), epoch: epoch)
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        guard case .endOfStream = frame else { return .forward }
        // Hold end of stream until the queued utterances have been spoken.
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
        provider: "espeak", kinds: [.tts],
        summary: "espeak-ng speech (instant, robotic; the fallback voice)",
        options: [
            .string("voice", default: "en-us", help: "espeak-ng voice name"),
            .int("words_per_minute", 80 ... 450, default: 175, help: "speaking rate"),
        ],
        license: "GPL-3.0-or-later (espeak-ng)"
    ) { request in
        EspeakTTSStage(voice: request.options.string("voice") ?? "en-us",
                       wordsPerMinute: request.options.int("words_per_minute"))
    }
}
