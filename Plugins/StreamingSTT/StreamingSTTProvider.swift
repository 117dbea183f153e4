// SPDX-License-Identifier: Apache-2.0

import ParleyWebSocket

/// One cloud provider's streaming speech-to-text wire protocol, as `StreamingSTTStage` needs it:
/// how to open the socket, how big audio messages must be, the control messages, and how to
/// read the server's messages. Everything else (connection life, audio uplink, media times,
/// segment ids, metrics, failures, end of stream) is the stage's and the same for every provider.
///
/// Implemented by `DeepgramSTT` (Deepgram's `/v1/listen`) and `AssemblyAISTT` (AssemblyAI's
/// Universal-Streaming v3). A provider value is immutable configuration, built once from the
/// stage's options; it is shared with the connection tasks, hence `Sendable`.
public protocol StreamingSTTProvider: Sendable {
    /// The provider's name as people know it ("Deepgram"): every failure message starts with it.
    var displayName: String { get }
    /// Language of the transcripts (`TranscriptFrame.language`), when the configuration fixes it.
    var language: String? { get }
    /// The WebSocket upgrade: endpoint URL with the query, and the credential header. Never
    /// logged as a whole (the headers carry the key).
    func makeRequest() -> WebSocketRequest
    /// How long audio messages must and may be.
    var chunking: AudioChunking { get }
    /// Sent on `userStoppedSpeaking` / `flush`, after the audio before it: "transcribe what you
    /// have now" (Deepgram `Finalize`, AssemblyAI `ForceEndpoint`).
    var finalizeMessage: String { get }
    /// Sent on `endOfStream`, after the last audio: the provider delivers its last results and
    /// closes (Deepgram `CloseStream`, AssemblyAI `Terminate`).
    var endOfStreamMessage: String { get }
    /// Sent when no audio flowed for the keep-alive interval, so the provider does not close an
    /// idle stream (Deepgram `KeepAlive`); nil when the provider needs none.
    var keepAliveMessage: String? { get }
    /// A decoder for one connection's server messages (it may keep per-connection state).
    func makeDecoder() -> any StreamingSTTDecoder
}

/// Reads one connection's server messages into provider-neutral events.
public protocol StreamingSTTDecoder {
    /// One text message. Throws `STTProtocolError` when it is not valid JSON or lacks what its
    /// type requires; unknown message types are not errors (providers add types over time).
    mutating func decode(_ text: String) throws(STTProtocolError) -> [STTEvent]
}

/// A server message that could not be read.
public struct STTProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong ("not valid JSON", "Results without channel.alternatives").
    public var problem: String
    public init(_ problem: String) { self.problem = problem }
    public var description: String { problem }
}

/// What a server message means, in the stage's terms.
public enum STTEvent: Sendable, Equatable {
    /// An interim or final hypothesis.
    case transcript(ProviderTranscript)
    /// The provider decided the speaker finished, without new text (Deepgram `UtteranceEnd`).
    case utteranceEnded
    /// The provider's last message of a stream we asked to end (Deepgram `Metadata`,
    /// AssemblyAI `Termination`): nothing more will come.
    case streamFinished
    /// The provider reported an error in-band (AssemblyAI `Error`); it closes the socket next.
    case providerError(String)
    /// Worth a debug log line, nothing else (session ids, speech-started events).
    case info(String)
}

/// A hypothesis as the provider stated it: times in seconds since the start of the audio sent
/// on this connection (the stage maps them to media time).
public struct ProviderTranscript: Sendable, Equatable {
    public var text: String
    public var isFinal: Bool
    /// The provider says the speaker finished here (Deepgram `speech_final`, AssemblyAI `end_of_turn`).
    public var endsUtterance: Bool
    public var confidence: Double?
    public var words: [ProviderWord]
    /// The audio window the result covers, when the provider states one (Deepgram `start`,
    /// `start + duration`); the words' span is preferred when there are words.
    public var windowStart: Double?
    public var windowEnd: Double?

    public init(text: String, isFinal: Bool, endsUtterance: Bool = false, confidence: Double? = nil,
                words: [ProviderWord] = [], windowStart: Double? = nil, windowEnd: Double? = nil) {
        self.text = text
        self.isFinal = isFinal
        self.endsUtterance = endsUtterance
        self.confidence = confidence
        self.words = words
        self.windowStart = windowStart
        self.windowEnd = windowEnd
    }
}

/// One word with its times in seconds since the start of the connection's audio.
public struct ProviderWord: Sendable, Equatable {
    public var text: String
    public var start: Double
    public var end: Double
    public var confidence: Double?

    public init(text: String, start: Double, end: Double, confidence: Double? = nil) {
        self.text = text
        self.start = start
        self.end = end
        self.confidence = confidence
    }
}

/// Size rules for the audio messages a provider accepts, in samples at the stage's rate.
public struct AudioChunking: Sendable, Equatable {
    /// Audio is sent once this much has collected (and a finalize or end-of-stream flushes less).
    public var minimumSamples: Int
    /// No message is longer than this.
    public var maximumSamples: Int
    /// A flush that leaves less than `minimumSamples` pads it with silence up to the minimum,
    /// for providers that refuse short messages (AssemblyAI: 50…1000 ms, else error 3007).
    public var padsShortFlushes: Bool

    public init(minimumSamples: Int, maximumSamples: Int, padsShortFlushes: Bool) {
        precondition(minimumSamples > 0 && maximumSamples >= minimumSamples, "invalid AudioChunking")
        self.minimumSamples = minimumSamples
        self.maximumSamples = maximumSamples
        self.padsShortFlushes = padsShortFlushes
    }
}
