// SPDX-License-Identifier: Apache-2.0

import Foundation
import Logging
import ParleyCore
import ParleyProviderSupport

/// Text-to-speech with Cartesia Sonic over its TTS WebSocket (`cartesia/sonic-2:VOICE_ID`).
///
/// ```
///   agent TextFrame ─► [tts:cartesia] ─► ttfb, agentStartedSpeaking, TextFrame, audio…, agentStoppedSpeaking
///   LLMFrame ────────► (passes on; responseStarted/responseEnded bracket the texts of one reply)
/// ```
///
/// The stage itself only captures each text with its epoch, media time and arrival time and
/// hands it to `CartesiaTTSClient`, which owns the socket; it never blocks the loop. Agent text
/// is not passed on when it arrives: it comes out through the mailbox right before its audio,
/// so transcripts downstream stay in step with what is played. User text and everything else
/// pass through. Raw `pcm_s16le` at `sample_rate` (24 kHz by default) comes out in 20 ms frames.
///
/// End of stream is held until the queued texts have been spoken; an interruption cancels the
/// contexts in flight (Cartesia's cancel message) and drops their audio.
public final class CartesiaTTSStage: Stage {
    public struct Configuration: Sendable {
        public var model: String
        public var voiceID: String
        public var language: String
        public var sampleRate: Int
        /// Up to the host: `wss://api.cartesia.ai` (`/tts/websocket` is appended).
        public var baseURL: String
        public var apiKey: String
        /// The `Cartesia-Version` header.
        public var apiVersion: String
        /// How long a text may wait for its first audio before it is reported as failed.
        public var firstByteTimeoutMS: Int

        public init(model: String = "sonic-2", voiceID: String, language: String = "en", sampleRate: Int = 24_000,
                    baseURL: String = "wss://api.cartesia.ai", apiKey: String,
                    apiVersion: String = CartesiaTTSStage.apiVersion, firstByteTimeoutMS: Int = 5_000) {
            self.model = model
            self.voiceID = voiceID
            self.language = language
            self.sampleRate = sampleRate
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.apiVersion = apiVersion
            self.firstByteTimeoutMS = firstByteTimeoutMS
        }
    }

    /// The API version this client was written against (its messages are documented there).
    public static let apiVersion = "2024-11-13"

    public let name = "tts:cartesia"
    public var accepts: FrameKinds { [.text, .llm] }
    public var produces: FrameKinds { [.audio, .text, .control] }

    public let configuration: Configuration
    /// Where the stage and its provider task log (the pipeline's logger once started; a test may
    /// set its own after that). The key is never logged.
    public var logger: Logger {
        get { sharedLogger.logger }
        set { sharedLogger.logger = newValue }
    }
    private let sharedLogger = SharedLogger(Logger(label: "parley.tts.cartesia"))
    private var client: CartesiaTTSClient?
    private var brackets = ReplyBrackets()

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public func outputFormat(for input: AudioFormat) -> AudioFormat {
        AudioFormat(sampleRate: configuration.sampleRate, channels: 1, frameDurationMs: 20)
    }

    public func start(_ context: StageContext) throws {
        logger = context.logger
        let client = CartesiaTTSClient(
            settings: .init(stageName: name, configuration: configuration,
                            url: Self.endpoint(configuration.baseURL)),
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
        // Held until the texts queued before it have been spoken (the client posts it).
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

    /// `{base}/tts/websocket`, keeping a path prefix (a proxy, or a test server's session path)
    /// and a query (a proxy's parameters) after it.
    static func endpoint(_ base: String) -> String {
        let parts = base.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts[0].hasSuffix("/") ? String(parts[0].dropLast()) : String(parts[0])
        return path + "/tts/websocket" + (parts.count > 1 ? "?" + parts[1] : "")
    }
}
