// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyStreamingSTT
import ParleyWebSocket

/// AssemblyAI's Universal-Streaming speech-to-text (`assemblyai/universal-streaming:en`): the
/// v3 WebSocket API (assemblyai.com/docs/api-reference/streaming-api,
/// …/docs/streaming/message-sequence), run by `StreamingSTTStage`.
///
/// ```
///   wss://streaming.assemblyai.com/v3/ws?sample_rate=16000&encoding=pcm_s16le&format_turns=false
///       &speech_model=universal-streaming-english
///   Authorization: <ASSEMBLYAI_API_KEY>
///
///                                          ← Begin {id, expires_at}
///   → binary PCM16, 50…1000 ms a message   ← Turn {turn_order, end_of_turn: false, transcript, words}…
///   → {"type":"ForceEndpoint"} (user stopped) ← Turn {end_of_turn: true} (+ formatted one with format_turns)
///   → {"type":"Terminate"}     (end)        ← last Turn, Termination, close 1000
/// ```
///
/// Audio messages must be 50…1000 ms long (shorter or longer ones end the session with error
/// 3007), so the uplink collects `chunk_ms` before sending and pads a shorter flush with
/// silence. Errors arrive as an `Error` message followed by a close with the same code.
public struct AssemblyAISTT: StreamingSTTProvider {
    public struct Configuration: Sendable, Equatable {
        /// `speech_model`: `universal-streaming-english`, `universal-streaming-multilingual`, …
        public var speechModel: String
        /// The language the transcripts are tagged with (nil for multilingual models).
        public var language: String?
        /// The endpoint, `wss://streaming.assemblyai.com/v3/ws` (…eu… for the EU, or a test server's).
        public var baseURL: URLComponents
        /// Empty: no `Authorization` header (a test or self-hosted server without auth).
        public var apiKey: String
        /// Finals with punctuation, casing and numbers (one more message, a little later, per turn).
        public var formatTurns: Bool
        /// Audio per message, 50…1000 ms.
        public var chunkMS: Int
        /// Turn detection tuning; nil leaves AssemblyAI's default.
        public var endOfTurnConfidenceThreshold: Double?
        public var minEndOfTurnSilenceWhenConfidentMS: Int?
        public var maxTurnSilenceMS: Int?
        public var sampleRate: Int

        public init(speechModel: String = "universal-streaming-english", language: String? = "en",
                    baseURL: URLComponents = URLComponents(string: AssemblyAISTT.defaultBaseURL)!, apiKey: String,
                    formatTurns: Bool = false, chunkMS: Int = 50, endOfTurnConfidenceThreshold: Double? = nil,
                    minEndOfTurnSilenceWhenConfidentMS: Int? = nil, maxTurnSilenceMS: Int? = nil,
                    sampleRate: Int = 16_000) {
            self.speechModel = speechModel
            self.language = language
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.formatTurns = formatTurns
            self.chunkMS = chunkMS
            self.endOfTurnConfidenceThreshold = endOfTurnConfidenceThreshold
            self.minEndOfTurnSilenceWhenConfidentMS = minEndOfTurnSilenceWhenConfidentMS
            self.maxTurnSilenceMS = maxTurnSilenceMS
            self.sampleRate = sampleRate
        }
    }

    public static let defaultBaseURL = "wss://streaming.assemblyai.com/v3/ws"

    public let configuration: Configuration

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public var displayName: String { "AssemblyAI" }
    public var language: String? { configuration.language }

    /// The query of the upgrade request: the audio format (16-bit little-endian PCM), turn
    /// formatting, the speech model (required by the API) and any turn-detection tuning.
    public var queryItems: [URLQueryItem] {
        let c = configuration
        var items = [
            URLQueryItem(name: "sample_rate", value: "\(c.sampleRate)"),
            URLQueryItem(name: "encoding", value: "pcm_s16le"),
            URLQueryItem(name: "format_turns", value: "\(c.formatTurns)"),
            URLQueryItem(name: "speech_model", value: c.speechModel),
        ]
        if let v = c.endOfTurnConfidenceThreshold {
            items.append(URLQueryItem(name: "end_of_turn_confidence_threshold", value: "\(v)"))
        }
        if let v = c.minEndOfTurnSilenceWhenConfidentMS {
            items.append(URLQueryItem(name: "min_end_of_turn_silence_when_confident", value: "\(v)"))
        }
        if let v = c.maxTurnSilenceMS { items.append(URLQueryItem(name: "max_turn_silence", value: "\(v)")) }
        return items
    }

    public func makeRequest() -> WebSocketRequest {
        // v3 takes the API key itself as the Authorization header value (no scheme).
        WebSocketRequest(url: StreamingSTTEndpoint.url(configuration.baseURL, adding: queryItems),
                         headers: configuration.apiKey.isEmpty ? [] : [("Authorization", configuration.apiKey)])
    }

    public var chunking: AudioChunking {
        AudioChunking(minimumSamples: configuration.sampleRate * configuration.chunkMS / 1000,
                      maximumSamples: configuration.sampleRate, padsShortFlushes: true)
    }

    public var finalizeMessage: String { #"{"type":"ForceEndpoint"}"# }
    public var endOfStreamMessage: String { #"{"type":"Terminate"}"# }
    /// v3 keeps a session open without audio unless `inactivity_timeout` is set (Parley doesn't).
    public var keepAliveMessage: String? { nil }

    public func makeDecoder() -> any StreamingSTTDecoder { AssemblyAIDecoder(formatTurns: configuration.formatTurns) }
}
