// SPDX-License-Identifier: Apache-2.0

/// One recognised word with its timing on the media timeline.
public struct WordTiming: Sendable, Hashable {
    public var word: String
    public var start: Nanos
    public var end: Nanos
    public var confidence: Double?

    public init(word: String, start: Nanos, end: Nanos, confidence: Double? = nil) {
        self.word = word
        self.start = start
        self.end = end
        self.confidence = confidence
    }
}

/// Speech-to-text output.
///
/// `isFinal == false` marks an interim hypothesis that a later frame replaces (same
/// `segmentID`); `isFinal == true` is the settled text of that segment.
///
/// - **Interruption:** user transcripts are never cancelled: they are what the user said, and
///   the turn logic needs them (an interruption is usually *caused* by user speech). Agent
///   transcripts (`role == .agent`, the text being spoken) are purged downstream, because the
///   words that were not played must not be shown as said.
public struct TranscriptFrame: Sendable, Hashable {
    public var text: String
    public var isFinal: Bool
    public var segmentID: String
    public var language: String?
    public var confidence: Double?
    public var words: [WordTiming]
    public var role: MediaRole
    /// Media time of the speech this transcript covers.
    public var start: Nanos
    public var end: Nanos
    /// The provider judged that the speaker finished their utterance here (Deepgram's
    /// `speech_final`, AssemblyAI's `end_of_turn`): a signal for STT-driven endpointing.
    /// Only meaningful on final transcripts.
    public var endsUtterance: Bool

    public init(text: String, isFinal: Bool, segmentID: String, language: String? = nil, confidence: Double? = nil,
                words: [WordTiming] = [], role: MediaRole = .user, start: Nanos = 0, end: Nanos = 0,
                endsUtterance: Bool = false) {
        self.text = text
        self.isFinal = isFinal
        self.segmentID = segmentID
        self.language = language
        self.confidence = confidence
        self.words = words
        self.role = role
        self.start = start
        self.end = end
        self.endsUtterance = endsUtterance
    }
}

/// A tool (function) call requested by the LLM.
public struct ToolCall: Sendable, Hashable {
    public var id: String
    public var name: String
    /// JSON text of the arguments, as the model produced it.
    public var argumentsJSON: String

    public init(id: String, name: String, argumentsJSON: String) {
        self.id = id
        self.name = name
        self.argumentsJSON = argumentsJSON
    }
}

/// Streaming LLM output for one response.
///
/// - **Interruption:** every LLM frame is agent output and is purged downstream of the
///   interrupting stage; the LLM stage cancels its in-flight request in `Stage.interrupted`.
public enum LLMFrame: Sendable, Hashable {
    /// The first frame of a response.
    case responseStarted(responseID: String)
    /// A piece of text, in order.
    case textDelta(responseID: String, text: String)
    /// The model wants a tool run before it continues.
    case toolCall(responseID: String, ToolCall)
    /// The response is complete (`finishReason` as the provider reported it).
    case responseEnded(responseID: String, finishReason: String)

    public var responseID: String {
        switch self {
        case .responseStarted(let id), .textDelta(let id, _), .toolCall(let id, _), .responseEnded(let id, _): return id
        }
    }
}

/// Plain text moving through the pipeline: text to speak (`.agent`, e.g. a greeting or a
/// sentence for TTS) or text typed by the user (`.user`, e.g. chat input).
///
/// - **Interruption:** `.agent` text is purged downstream (it was never spoken);
///   `.user` text survives.
public struct TextFrame: Sendable, Hashable {
    public var text: String
    public var role: MediaRole
    /// Whether the agent may be interrupted while speaking this text.
    public var allowInterruptions: Bool
    /// The agent reply this text belongs to (`Conversation` message id), carried through TTS
    /// to the playout so an interrupted reply is cut in the chat context to what was heard.
    public var replyID: String?

    public init(text: String, role: MediaRole, allowInterruptions: Bool = true, replyID: String? = nil) {
        self.text = text
        self.role = role
        self.allowInterruptions = allowInterruptions
        self.replyID = replyID
    }
}
