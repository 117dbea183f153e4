// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// Speech-to-text with Moonshine base-en through sherpa-onnx (MIT model, Apache-2.0 runtime):
/// an offline recogniser, so it transcribes each VAD-segmented utterance after
/// `userStoppedSpeaking` and emits one final `TranscriptFrame` per utterance.
///
/// Audio is collected on the loop (16 kHz mono, converted by the engine) from the VAD's
/// onset stamp — a 0.5 s pre-roll keeps the first syllable the VAD only confirmed later —
/// until the stop; recognition runs on a `ProviderWorker` (the model is loaded and warmed up
/// in `start`), and the transcript comes back through the mailbox, with an `stt_final` metric
/// (end-of-speech decision → transcript). End of stream waits for pending utterances.
public final class MoonshineSTTStage: Stage {
    public let name = "stt:moonshine"
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { .transcript }
    public var inputCaps: AudioCaps { AudioCaps(sampleRates: [16_000], channels: [1]) }

    static let preRollSamples = 8_000
    static let maxUtteranceSamples = 16_000 * 30

    private let worker: ProviderWorker<MoonshineRecognizer>
    /// The last `preRollSamples` of audio before speech, with the media time of each sample.
    private var preRoll: [Float]
    private var preRollStart: Nanos = 0
    private var utterance: [Float]
    private var utteranceStart: Nanos = 0
    private var capturing = false
    private var segment = 0

    public init(files: LocalEngineFiles) {
        worker = ProviderWorker(label: "parley.stt.moonshine") { try MoonshineRecognizer(files: files, warmUp: true) }
        preRoll = []
        preRoll.reserveCapacity(Self.preRollSamples + 1_000)
        utterance = []
        utterance.reserveCapacity(Self.maxUtteranceSamples)
    }

    public func start(_ context: StageContext) throws { try worker.start() }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let a) = frame, a.role == .user else { return }
        if capturing {
            let room = Self.maxUtteranceSamples - utterance.count
            a.withSamples { s in for i in 0..<min(room, s.count) { utterance.append(Float(s[i]) / 32768) } }
        } else {
            if preRoll.isEmpty { preRollStart = a.timestamp }
            a.withSamples { s in for v in s { preRoll.append(Float(v) / 32768) } }
            let excess = preRoll.count - Self.preRollSamples
            if excess > 0 {
                preRoll.removeFirst(excess)
                preRollStart += Nanos(excess) * 1_000_000_000 / 16_000
            }
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .userStartedSpeaking(let at):
            capturing = true
            utterance.removeAll(keepingCapacity: true)
            // Keep the pre-roll from the VAD's (padded) onset on.
            let skip = max(0, min(preRoll.count, Int((at - preRollStart) * 16_000 / 1_000_000_000)))
            utterance.append(contentsOf: preRoll[skip...])
            utteranceStart = preRollStart + Nanos(skip) * 1_000_000_000 / 16_000
            preRoll.removeAll(keepingCapacity: true)
        case .userStoppedSpeaking(let speechEnd):
            capturing = false
            transcribe(context, end: speechEnd)
        case .endOfStream:
            if capturing {
                capturing = false
                transcribe(context, end: context.mediaNow)
            }
            // Hold end of stream until the queued recognitions have posted their transcripts.
            let mailbox = context.mailbox
            worker.run { _ in mailbox.post(.control(.endOfStream)) }
            return .consume
        default:
            break
        }
        return .forward
    }

    private func transcribe(_ context: StageContext, end: Nanos) {
        guard !utterance.isEmpty else { return }
        let samples = utterance          // one copy per utterance, off the per-frame path
        utterance.removeAll(keepingCapacity: true)
        segment += 1
        let id = "\(name)-\(segment)"
        let start = utteranceStart
        let mailbox = context.mailbox
        let clock = context.clock
        let decided = context.now()
        let stageName = name
        worker.run { recognizer in
            let text: String
            do {
                text = try recognizer.transcribe(samples, sampleRate: 16_000)
            } catch {
                mailbox.post(.control(.error(StageFailure(stage: stageName, message: "\(error)", isFatal: false))))
                return
            }
            // The metric goes first so it is in the turn report before the reply's audio closes it.
            mailbox.post(.control(.metric(StageMetric(stage: stageName, name: "stt_final",
                                                      nanoseconds: clock.now() - decided))))
            mailbox.post(.transcript(TranscriptFrame(text: text.trimmingCharacters(in: .whitespacesAndNewlines),
                                                     isFinal: true, segmentID: id, language: "en", role: .user,
                                                     start: start, end: end)))
        }
    }

    public func stop(_ context: StageContext) { worker.stop() }
    public func cancel(_ context: StageContext) { worker.stop() }

    public static let registration = StageRegistration(
        provider: "moonshine", kinds: [.stt],
        summary: "Moonshine base-en STT through sherpa-onnx (local; per utterance after the VAD's end of speech)",
        models: ["base-en"],
        license: "MIT (model), Apache-2.0 (sherpa-onnx)"
    ) { request in
        MoonshineSTTStage(files: try LocalEngineFiles.locate(environment: request.environment))
    }
}
