// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore
import ParleyProviderSupport

/// Text-to-speech with ElevenLabs over its input-streaming WebSocket
/// (`elevenlabs/eleven_flash_v2_5:VOICE_ID`).
///
/// ```
///   agent TextFrame ─► [tts:elevenlabs] ─► ttfb, agentStartedSpeaking, TextFrame, audio…, agentStoppedSpeaking
///   LLMFrame ────────► (passes on; responseStarted/responseEnded bracket the texts of one reply)
/// ```
///
/// The stage captures each text with its epoch, media time and arrival time and hands it to
/// `ElevenLabsTTSClient`, which owns the sockets; it never blocks the loop. Agent text comes out
/// through the mailbox right before its audio; user text and everything else pass through.
/// Output is `pcm_<rate>` (24 kHz by default) in 20 ms frames.
///
/// End of stream is held until the queued texts have been spoken; an interruption closes the
/// reply's socket and drops its audio.
public final class ElevenLabsTTSStage: Stage {
    public struct Configuration: Sendable {
        public var model: String
        public var voiceID: String
        public var sampleRate: Int
        /// Up to the host: `wss://api.elevenlabs.io` (`/v1/text-to-speech/{voice}/stream-input` is appended).
        public var baseURL: String
        public var apiKey: String
        /// ISO 639-1, for the models that take one (Flash/Turbo v2.5); nil: the model decides.
        public var languageCode: String?
        public var stability: Double?
        public var similarityBoost: Double?
        public var style: Double?
        public var speed: Double?
        /// ElevenLabs' `auto_mode`: no chunk schedule or buffering (for text sent in whole sentences).
        public var autoMode: Bool
        /// Seconds the provider keeps a socket open without text (its `inactivity_timeout`, ≤ 180).
        public var inactivityTimeoutSeconds: Int
        /// Open the next reply's socket ahead of time.
        public var connectAhead: Bool
        public var firstByteTimeoutMS: Int

        public init(model: String = "eleven_flash_v2_5", voiceID: String, sampleRate: Int = 24_000,
                    baseURL: String = "wss://api.elevenlabs.io", apiKey: String, languageCode: String? = nil,
                    stability: Double? = nil, similarityBoost: Double? = nil, style: Double? = nil, speed: Double? = nil,
                    autoMode: Bool = true, inactivityTimeoutSeconds: Int = 180, connectAhead: Bool = true,
                    firstByteTimeoutMS: Int = 5_000) {
            self.model = model
            self.voiceID = voiceID
            self.sampleRate = sampleRate
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.languageCode = languageCode
            self.stability = stability
            self.similarityBoost = similarityBoost
            self.style = style
            self.speed = speed
            self.autoMode = autoMode
            self.inactivityTimeoutSeconds = inactivityTimeoutSeconds
            self.connectAhead = connectAhead
            self.firstByteTimeoutMS = firstByteTimeoutMS
        }
    }

    public let name = "tts:elevenlabs"
    public var accepts: FrameKinds { [.text, .llm] }
    public var produces: FrameKinds { [.audio, .text, .control] }

    public let configuration: Configuration
    /// Where the stage and its provider task log (the pipeline's logger once started; a test may
    /// set its own after that). The key is never logged.
    public var logger: Logger {
        get { sharedLogger.logger }
        set { sharedLogger.logger = newValue }
    }
    private let sharedLogger = SharedLogger(Logger(label: "parley.tts.elevenlabs"))
    private var client: ElevenLabsTTSClient?
    private var brackets = ReplyBrackets()

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func outputFormat(for input: AudioFormat) -> AudioFormat {
        AudioFormat(sampleRate: configuration.sampleRate, channels: 1, frameDurationMs: 20)
    }

    public func start(_ context: StageContext) throws {
        logger = context.logger
        let client = ElevenLabsTTSClient(
            settings: .init(stageName: name, configuration: configuration, url: Self.endpoint(configuration)),
            mailbox: context.mailbox, clock: context.clock, log: sharedLogger)
        client.start()
        self.client = client
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        switch frame {
        case .llm(let llm):
            context.emit(frame)
            if brackets.observe(llm) == .endReply { client?.send(.endReply) }
        case .text(let text) where text.role == .agent:
            guard !text.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
            if brackets.observe(text) == .endReply { client?.send(.endReply) }
            client?.send(.speak(SpeechRequest(text, context), continuesReply: brackets.isOpen))
        default:
            context.emit(frame)
        }
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        guard case .endOfStream = frame, let client else { return .forward }
        client.send(.endOfStream)
        return .consume
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        brackets.interrupted()
        client?.interrupt(epoch: context.epoch)
    }

    public func stop(_ context: StageContext) {
        client?.send(.shutDown)
        client = nil
    }

    public func cancel(_ context: StageContext) {
        client?.send(.shutDown)
        client = nil
    }

    /// `{base}/v1/text-to-speech/{voice}/stream-input?model_id=…&output_format=pcm_…&…`
    /// A query in `base_url` (a proxy's parameters) is kept, ahead of the stage's own.
    static func endpoint(_ c: Configuration) -> String {
        let parts = c.baseURL.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let base = parts[0].hasSuffix("/") ? String(parts[0].dropLast()) : String(parts[0])
        let baseQuery = parts.count > 1 && !parts[1].isEmpty ? parts[1] + "&" : ""
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/")
        let voice = c.voiceID.addingPercentEncoding(withAllowedCharacters: allowed) ?? c.voiceID
        var query = [("model_id", c.model), ("output_format", "pcm_\(c.sampleRate)"),
                     ("auto_mode", c.autoMode ? "true" : "false"), ("sync_alignment", "true"),
                     ("inactivity_timeout", "\(c.inactivityTimeoutSeconds)")]
        if let language = c.languageCode { query.append(("language_code", language)) }
        var components = URLComponents()
        components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
        return "\(base)/v1/text-to-speech/\(voice)/stream-input?\(baseQuery)\(components.percentEncodedQuery ?? "")"
    }
}
