// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ParleyCore
import ParleyProviderSupport

/// Speech-to-text through OpenAI's transcription endpoint (`openai/gpt-4o-transcribe`,
/// `openai/whisper-1`), or any server that speaks it (`base_url`).
///
/// ```
///   user audio (16 kHz mono) ─► pre-roll ring (0.5 s) ─┐
///   userStartedSpeaking(at) ──────────────────────────┴─► utterance buffer
///   userStoppedSpeaking ─► WAV ─► POST {base_url}/audio/transcriptions (multipart) ─► final TranscriptFrame
/// ```
///
/// The endpoint transcribes whole files, so the stage collects each VAD-segmented utterance
/// — from the VAD's onset stamp, with up to 0.5 s of audio from before the VAD confirmed speech
/// (the pre-roll keeps the first syllable), to the end-of-speech decision — and sends it when
/// the user stops speaking: one final transcript per utterance, with media `start`/`end` and,
/// for whisper-1, word timings. An `stt_final` metric measures end of speech → transcript.
///
/// Collecting is plain copying into buffers reserved at construction (no allocation per
/// frame); building the request and the network I/O happen off the loop (`TranscriptionQueue`).
/// End of stream is held until every utterance sent has its transcript (or failure).
public final class OpenAITranscriptionStage: Stage {
    public struct Configuration: Sendable {
        public var model: String
        /// Up to and including the version path: `https://api.openai.com/v1`.
        public var baseURL: URL
        /// Empty: no `Authorization` header (local servers).
        public var apiKey: String
        /// ISO 639-1 language of the speech; nil: detected.
        public var language: String?
        /// Vocabulary or context for the model (names, spellings).
        public var prompt: String?
        /// Ask for word timings (`verbose_json` with word granularity; whisper-1 only).
        public var wordTimestamps: Bool
        /// How long to wait for a transcription.
        public var timeoutMS: Int

        public init(model: String = "gpt-4o-transcribe", baseURL: URL = URL(string: "https://api.openai.com/v1")!,
                    apiKey: String = "", language: String? = nil, prompt: String? = nil, wordTimestamps: Bool = true,
                    timeoutMS: Int = 15_000) {
            self.model = model
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.language = language
            self.prompt = prompt
            self.wordTimestamps = wordTimestamps
            self.timeoutMS = timeoutMS
        }

        /// Word timings are only offered by whisper-1 (`verbose_json`); the gpt-4o models answer json.
        var requestsWordTimestamps: Bool { wordTimestamps && model == "whisper-1" }
    }

    public static let sampleRate = 16_000
    static let preRollSamples = 8_000
    /// The longest utterance sent (longer speech is cut; the VAD normally ends turns far sooner).
    static let maxUtteranceSamples = 16_000 * 60

    public let name = "stt:openai"
    public var accepts: FrameKinds { .audio }
    public var produces: FrameKinds { [.transcript, .control] }
    public var inputCaps: AudioCaps { AudioCaps(sampleRates: [Self.sampleRate], channels: [1]) }

    public let configuration: Configuration
    /// Where the stage and its requests log (the pipeline's logger once started; a test may set
    /// its own after that). The key is never logged.
    public var logger: Logger {
        get { sharedLogger.logger }
        set { sharedLogger.logger = newValue }
    }
    private let sharedLogger = SharedLogger(Logger(label: "parley.stt.openai"))
    private var session: StreamingHTTPSession?
    private var queue: TranscriptionQueue?

    /// The last `preRollSamples` before speech, as a ring; `ringEnd` is the media time just
    /// after its newest sample.
    private var ring: [Int16]
    private var ringNext = 0
    private var ringCount = 0
    private var ringEnd: Nanos = 0
    private var utterance: [Int16]
    private var utteranceStart: Nanos = 0
    private var capturing = false
    private var segment = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
        ring = Array(repeating: 0, count: Self.preRollSamples)
        utterance = []
        utterance.reserveCapacity(Self.maxUtteranceSamples)
    }

    public func start(_ context: StageContext) throws {
        logger = context.logger
        let session = StreamingHTTPSession(label: "parley.stt.openai")
        self.session = session
        queue = TranscriptionQueue(
            settings: .init(stageName: name, configuration: configuration,
                            url: OpenAISpeechStage.endpoint(configuration.baseURL, path: "audio/transcriptions")),
            session: session, mailbox: context.mailbox, clock: context.clock, log: sharedLogger)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .audio(let a) = frame, a.role == .user else { return }
        a.withSamples { samples in
            if capturing {
                let room = Self.maxUtteranceSamples - utterance.count
                if room > 0 { utterance.append(contentsOf: samples.prefix(room)) }
            } else {
                for s in samples {
                    ring[ringNext] = s
                    ringNext = (ringNext + 1) % ring.count
                }
                ringCount = min(ring.count, ringCount + samples.count)
            }
        }
        if !capturing { ringEnd = a.endTimestamp }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        switch frame {
        case .userStartedSpeaking(let at):
            beginUtterance(at: at)
        case .userStoppedSpeaking(let speechEnd):
            if capturing { send(end: max(speechEnd, utteranceStart), context) }
        case .endOfStream:
            if capturing { send(end: context.mediaNow, context) }
            // Held until the utterances sent have their transcripts (the queue posts it).
            if queue?.holdEndOfStream() == true { return .consume }
        default:
            break
        }
        return .forward
    }

    /// Starts an utterance at the VAD's onset `at`, taking what the pre-roll holds from there on.
    private func beginUtterance(at: Nanos) {
        capturing = true
        utterance.removeAll(keepingCapacity: true)
        let ringStart = ringEnd - Nanos(ringCount) * 1_000_000_000 / Nanos(Self.sampleRate)
        let skip = max(0, min(ringCount, Int((at - ringStart) * Nanos(Self.sampleRate) / 1_000_000_000)))
        let oldest = (ringNext - ringCount + ring.count) % ring.count
        for i in skip ..< ringCount { utterance.append(ring[(oldest + i) % ring.count]) }
        utteranceStart = ringStart + Nanos(skip) * 1_000_000_000 / Nanos(Self.sampleRate)
        ringCount = 0
    }

    private func send(end: Nanos, _ context: StageContext) {
        capturing = false
        guard !utterance.isEmpty, let queue else { return }
        segment += 1
        // One copy per utterance, off the per-frame path.
        queue.submit(.init(samples: utterance, start: utteranceStart, end: end, decidedAt: context.now(),
                           segmentID: "\(name)-\(segment)"))
        utterance.removeAll(keepingCapacity: true)
    }

    public func stop(_ context: StageContext) {
        session?.shutDown()
        session = nil
    }

    public func cancel(_ context: StageContext) {
        queue?.cancelAll()
        session?.cancelAll()
        session = nil
    }
}
