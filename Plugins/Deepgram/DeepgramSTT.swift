// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyStreamingSTT
import ParleyWebSocket

/// Deepgram's live streaming speech-to-text (`deepgram/nova-3:en`): the `GET /v1/listen`
/// WebSocket API (developers.deepgram.com/reference/speech-to-text/listen-streaming), run by
/// `StreamingSTTStage`.
///
/// ```
///   wss://api.deepgram.com/v1/listen?model=nova-3&language=en&encoding=linear16&sample_rate=16000
///       &channels=1&interim_results=true&endpointing=25&vad_events=true&smart_format=true
///   Authorization: Token <DEEPGRAM_API_KEY>
///
///   → binary PCM16 (20 ms a message)      ← Results {is_final, speech_final, start, duration, channel.alternatives[0]}
///   → {"type":"KeepAlive"}   (idle)       ← SpeechStarted, UtteranceEnd
///   → {"type":"Finalize"}    (user stopped) ← Results {from_finalize: true}
///   → {"type":"CloseStream"} (end)         ← last Results, Metadata, close 1000
/// ```
///
/// Errors: a refused upgrade is an HTTP status (401 for a bad key); a failure mid-stream is a
/// close frame with a code and a reason such as `NET-0001` (no audio or KeepAlive for 10 s)
/// or `DATA-0000` (audio that cannot be decoded); both become the stage's `StageFailure`.
public struct DeepgramSTT: StreamingSTTProvider {
    public struct Configuration: Sendable, Equatable {
        public var model: String
        public var language: String
        /// The endpoint, `wss://api.deepgram.com/v1/listen` (a self-hosted or test server's otherwise).
        public var baseURL: URLComponents
        /// Empty: no `Authorization` header (a self-hosted server without auth).
        public var apiKey: String
        public var interimResults: Bool
        /// Silence that ends an utterance (`speech_final`), in ms; 0 sends `endpointing=false`.
        public var endpointingMS: Int
        /// `UtteranceEnd` after this gap following the last final word (0: not requested).
        public var utteranceEndMS: Int
        public var vadEvents: Bool
        public var smartFormat: Bool
        public var sampleRate: Int

        public init(model: String, language: String = "en",
                    baseURL: URLComponents = URLComponents(string: DeepgramSTT.defaultBaseURL)!, apiKey: String,
                    interimResults: Bool = true, endpointingMS: Int = 25, utteranceEndMS: Int = 0,
                    vadEvents: Bool = true, smartFormat: Bool = true, sampleRate: Int = 16_000) {
            self.model = model
            self.language = language
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.interimResults = interimResults
            self.endpointingMS = endpointingMS
            self.utteranceEndMS = utteranceEndMS
            self.vadEvents = vadEvents
            self.smartFormat = smartFormat
            self.sampleRate = sampleRate
        }
    }

    public static let defaultBaseURL = "wss://api.deepgram.com/v1/listen"

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public var displayName: String { "Deepgram" }
    public var language: String? { configuration.language }

    /// The query of the upgrade request, in this order (the stage's audio is 16-bit
    /// little-endian mono PCM: `encoding=linear16`, `channels=1`).
    public var queryItems: [URLQueryItem] {
        let c = configuration
        var items = [
            URLQueryItem(name: "model", value: c.model),
            URLQueryItem(name: "language", value: c.language),
            URLQueryItem(name: "encoding", value: "linear16"),
            URLQueryItem(name: "sample_rate", value: "\(c.sampleRate)"),
            URLQueryItem(name: "channels", value: "1"),
            URLQueryItem(name: "interim_results", value: "\(c.interimResults)"),
            URLQueryItem(name: "endpointing", value: c.endpointingMS == 0 ? "false" : "\(c.endpointingMS)"),
            URLQueryItem(name: "vad_events", value: "\(c.vadEvents)"),
            URLQueryItem(name: "smart_format", value: "\(c.smartFormat)"),
        ]
        if c.utteranceEndMS > 0 { items.append(URLQueryItem(name: "utterance_end_ms", value: "\(c.utteranceEndMS)")) }
        return items
    }

    public func makeRequest() -> WebSocketRequest {
        // Deepgram's API keys go in `Authorization: Token <key>` (not Bearer, which is for
        // short-lived JWTs from /v1/auth/grant); a header keeps the key out of URLs and logs.
        WebSocketRequest(url: StreamingSTTEndpoint.url(configuration.baseURL, adding: queryItems),
                         headers: configuration.apiKey.isEmpty ? [] : [("Authorization", "Token \(configuration.apiKey)")])
    }

    /// Deepgram takes any message size; 20 ms messages (one frame) keep latency low, and a
    /// message is never longer than 250 ms (Deepgram's recommended range is 20…250 ms).
    public var chunking: AudioChunking {
        AudioChunking(minimumSamples: configuration.sampleRate / 50, maximumSamples: configuration.sampleRate / 4,
                      padsShortFlushes: false)
    }

    public var finalizeMessage: String { #"{"type":"Finalize"}"# }
    public var endOfStreamMessage: String { #"{"type":"CloseStream"}"# }
    public var keepAliveMessage: String? { #"{"type":"KeepAlive"}"# }

    public func makeDecoder() -> any StreamingSTTDecoder { DeepgramDecoder() }
}
