// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ParleyCore
import ParleyProviderSupport

/// Text-to-speech through OpenAI's speech endpoint (`openai/gpt-4o-mini-tts:alloy`), or any
/// server that speaks it (`base_url`).
///
/// ```
///   agent TextFrame ─► POST {base_url}/audio/speech {"model", "input", "voice", "response_format": "pcm"}
///        ─► streamed 24 kHz 16-bit PCM ─► ttfb, agentStartedSpeaking, TextFrame, audio…, agentStoppedSpeaking
/// ```
///
/// One request per text (the endpoint takes whole inputs; the LLM stage sends sentences), the
/// next one running while the current one streams (see `SpeechRequestQueue`). The body is read
/// as it arrives, so the first 20 ms frame goes out with the first bytes. Agent text comes out
/// through the mailbox right before its audio; user text and everything else pass through.
///
/// End of stream is held until the queued texts have been spoken; an interruption cancels the
/// requests in flight (closing their connections) and drops their audio.
public final class OpenAISpeechStage: Stage {
    public struct Configuration: Sendable {
        public var model: String
        public var voice: String
        /// Up to and including the version path: `https://api.openai.com/v1`.
        public var baseURL: URL
        /// Empty: no `Authorization` header (local servers).
        public var apiKey: String
        /// gpt-4o-mini-tts's voice direction ("Speak in a cheerful tone."); nil: none.
        public var instructions: String?
        public var speed: Double?
        public var firstByteTimeoutMS: Int

        public init(model: String = "gpt-4o-mini-tts", voice: String = "alloy",
                    baseURL: URL = URL(string: "https://api.openai.com/v1")!, apiKey: String = "",
                    instructions: String? = nil, speed: Double? = nil, firstByteTimeoutMS: Int = 10_000) {
            self.model = model
            self.voice = voice
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.instructions = instructions
            self.speed = speed
            self.firstByteTimeoutMS = firstByteTimeoutMS
        }
    }

    /// OpenAI's `pcm` response format: 24 kHz, 16-bit signed little-endian, mono.
    public static let sampleRate = 24_000

    public let name = "tts:openai"
    public var accepts: FrameKinds { .text }
    public var produces: FrameKinds { [.audio, .text, .control] }

    public let configuration: Configuration
    /// Where the stage and its requests log (the pipeline's logger once started; a test may set
    /// its own after that). The key is never logged.
    public var logger: Logger {
        get { sharedLogger.logger }
        set { sharedLogger.logger = newValue }
    }
    private let sharedLogger = SharedLogger(Logger(label: "parley.tts.openai"))
    private var session: StreamingHTTPSession?
    private var queue: SpeechRequestQueue?

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func outputFormat(for input: AudioFormat) -> AudioFormat {
        AudioFormat(sampleRate: Self.sampleRate, channels: 1, frameDurationMs: 20)
    }

    public func start(_ context: StageContext) throws {
        logger = context.logger
        let session = StreamingHTTPSession(label: "parley.tts.openai")
        self.session = session
        queue = SpeechRequestQueue(
            settings: .init(stageName: name, configuration: configuration,
                            url: Self.endpoint(configuration.baseURL, path: "audio/speech")),
            session: session, mailbox: context.mailbox, clock: context.clock, log: sharedLogger)
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        guard case .text(let text) = frame, text.role == .agent else { return context.emit(frame) }
        guard !text.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        queue?.submit(SpeechRequest(text, context))
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        guard case .endOfStream = frame else { return .forward }
        return queue?.holdEndOfStream() == true ? .consume : .forward
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) { queue?.cancelAll() }

    public func stop(_ context: StageContext) {
        queue?.cancelAll()
        session?.shutDown()
        session = nil
        queue = nil
    }

    public func cancel(_ context: StageContext) {
        queue?.cancelAll()
        session?.cancelAll()
        session = nil
        queue = nil
    }

    /// `{base}/{path}`, keeping the base's path and query (`?api-version=…`).
    static func endpoint(_ base: URL, path: String) -> URL {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        components.path = (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path)
            + "/" + path
        return components.url!
    }
}
