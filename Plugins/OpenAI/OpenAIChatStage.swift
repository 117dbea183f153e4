// SPDX-License-Identifier: Apache-2.0

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ParleyCore

/// An LLM through the OpenAI chat-completions API (`openai/gpt-4o-mini`), or any server that
/// speaks it (`openai-compatible/MODEL` with `base_url:` of a llama.cpp server, vLLM, Ollama…).
///
/// ```
///   final user transcript / user text ─► history + POST {base_url}/chat/completions (stream: true)
///        ─► responseStarted, textDelta…, toolCall…, responseEnded(finishReason)   (LLMFrame)
///        ─► each complete sentence as agent TextFrame (what TTS stages speak)      (text_frames)
/// ```
///
/// The request runs on URLSession's threads; frames come back through the mailbox tagged with
/// the interruption epoch, so an interruption cancels the request (closing the connection)
/// and the engine drops any delta that was already on its way. An `llm_ttft` metric (user
/// turn received → first token) is reported per reply.
///
/// The conversation: a `Conversation` (the session's, shared with the turn manager and the
/// playout, or the stage's own when built alone) whose system message is `instructions`.
/// Each user turn is appended when it arrives, the assistant's reply when it is over — whole
/// if it completed; if it was cut, in a session what the user heard of it (the playout trims
/// it), alone whatever `interruptedReplyText` keeps. A preemptive reply that was superseded
/// is removed with the user turn it answered. The oldest turns go beyond `max_history_turns`.
///
/// In a session (`turnManaged`) the stage answers the turn manager's user `TextFrame`s only;
/// alone it answers each final user transcript too.
///
/// Failures (HTTP status with the provider's message, malformed stream data, no first byte in
/// time, a dropped connection) are non-fatal `StageFailure`s followed by
/// `responseEnded(finishReason: "error")`, so the turn closes and the next one can proceed.
public final class OpenAIChatStage: Stage {
    public struct Configuration: Sendable {
        public var model: String
        /// Up to and including the version path: `https://api.openai.com/v1`. A query
        /// (`?api-version=…`) is kept after `/chat/completions`.
        public var baseURL: URL
        /// Empty: no `Authorization` header (local servers).
        public var apiKey: String
        public var instructions: String
        public var temperature: Double?
        public var maxTokens: Int?
        public var firstByteTimeoutMS: Int
        public var maxHistoryTurns: Int
        /// Tool definitions sent with every request (`[{"type": "function", "function": {…}}]`).
        public var tools: JSONValue?
        public var emitsSentences: Bool

        public init(model: String, baseURL: URL = URL(string: "https://api.openai.com/v1")!, apiKey: String = "",
                    instructions: String = OpenAIChatStage.defaultInstructions, temperature: Double? = nil,
                    maxTokens: Int? = nil, firstByteTimeoutMS: Int = 10_000, maxHistoryTurns: Int = 20,
                    tools: JSONValue? = nil, emitsSentences: Bool = true) {
            self.model = model
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.instructions = instructions
            self.temperature = temperature
            self.maxTokens = maxTokens
            self.firstByteTimeoutMS = firstByteTimeoutMS
            self.maxHistoryTurns = maxHistoryTurns
            self.tools = tools
            self.emitsSentences = emitsSentences
        }
    }

    public static let defaultInstructions = "You are a helpful voice assistant. Answer briefly."

    public let name: String
    public var accepts: FrameKinds { [.transcript, .text] }
    public var produces: FrameKinds { configuration.emitsSentences ? [.llm, .text] : .llm }

    /// Outside a session (no shared `Conversation`): what goes into the history of a reply that
    /// did not complete, given the text produced so far; nil keeps nothing. Default: all of it.
    /// In a session the playout decides instead, from what was actually heard.
    public var interruptedReplyText: (String) -> String? = { $0 }

    public let configuration: Configuration
    public let conversation: Conversation
    private let inSession: Bool
    private let turnManaged: Bool
    private var client: StreamingHTTPSession?
    private var current: ChatReply?
    /// Tools the model may call and this stage runs (config `agent.tools`, the application's).
    public let toolbox: Toolbox
    private var logger = Logger(label: "parley.llm.openai")

    public init(configuration: Configuration, provider: String = "openai", conversation: Conversation? = nil,
                turnManaged: Bool = false, toolbox: Toolbox = Toolbox()) {
        self.configuration = configuration
        self.toolbox = toolbox
        name = "llm:\(provider)"
        if let conversation {
            conversation.instructions = configuration.instructions
            self.conversation = conversation
        } else {
            self.conversation = Conversation(instructions: configuration.instructions,
                                             maxTurns: configuration.maxHistoryTurns)
        }
        inSession = conversation != nil
        self.turnManaged = turnManaged
    }

    /// The conversation as it would be sent now (without the reply in flight), for tests and probes.
    public var historyMessages: [(role: String, content: String)] {
        conversation.promptMessages.map { ($0.role.rawValue, $0.content) }
    }

    public func start(_ context: StageContext) throws {
        logger = context.logger
        client = StreamingHTTPSession(label: "parley.llm.openai")
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        // Transcripts and text pass on (transcription outputs want them), before the reply.
        context.emit(frame)
        guard let trimmed = frame.userTurnText(turnManaged: turnManaged) else { return }
        reply(to: trimmed, context)
    }

    public func control(_ frame: ControlFrame, _ context: StageContext) -> ControlDisposition {
        guard case .endOfStream = frame else { return .forward }
        // Hold end of stream until the reply in flight is over (the stream posts it then).
        return current?.holdEndOfStream() == true ? .consume : .forward
    }

    public func interrupted(_ interruption: Interruption, _ context: StageContext) {
        settleReply(reason: "interrupted", cut: true, superseded: interruption.cause == .superseded)
    }

    public func stop(_ context: StageContext) {
        settleReply(reason: "stopped", cut: true)
        client?.shutDown()
        client = nil
    }

    public func cancel(_ context: StageContext) {
        settleReply(reason: "cancelled", cut: true)
        client?.cancelAll()
        client = nil
    }

    // MARK: Replies

    private func reply(to text: String, _ context: StageContext) {
        guard let client else { return }
        // A newer user turn replaces a reply still running.
        settleReply(reason: "superseded", cut: false)
        conversation.appendUser(text)
        let (configuration, conversation, toolbox) = (self.configuration, self.conversation, self.toolbox)
        let reply = ChatReply(context: .init(
            settings: .init(stageName: name, responseID: conversation.nextReplyID(prefix: name), epoch: context.epoch,
                            firstByteTimeoutMS: configuration.firstByteTimeoutMS,
                            emitsSentences: configuration.emitsSentences),
            mailbox: context.mailbox, clock: context.clock, logger: logger, client: client,
            conversation: conversation, toolbox: toolbox,
            makeRequest: { try Self.makeRequest(configuration, conversation: conversation, toolbox: toolbox) }))
        // The key never goes into logs: only the endpoint, model and size of the conversation.
        logger.debug("llm request", metadata: ["response": "\(reply.responseID)",
                                               "url": "\(configuration.baseURL.absoluteString)",
                                               "model": "\(configuration.model)",
                                               "messages": "\(conversation.promptMessages.count)",
                                               "tools": "\(toolbox.tools.count)"])
        do {
            try reply.start()
        } catch {
            // Only encoding can fail here; report it like any provider failure so the turn closes.
            context.fail("could not encode the request: \(error)", fatal: false)
            return
        }
        current = reply
    }

    /// Ends the current reply (if still running) and records it in the history: whole when it
    /// completed, through `interruptedReplyText` when it was cut (`cut`: an interruption or
    /// the pipeline ending means the listener may not have heard all of even a completed reply).
    private func settleReply(reason: String, cut: Bool, superseded: Bool = false) {
        guard let reply = current else { return }
        current = nil
        let (text, outcome) = reply.cancel(reason: reason)
        let id = reply.responseID
        if superseded {
            conversation.discardLastUserTurn()
        } else if outcome == .completed && !cut {
            conversation.recordReply(id, text: text)
        } else if inSession {
            // Record what was produced if playout started on it (the playout then cuts it to
            // what was heard, right after this); a reply nobody heard any of is not recorded.
            conversation.recordReply(id, text: conversation.speech.replyID == id ? text : "")
        } else if let kept = interruptedReplyText(text) {
            conversation.recordReply(id, text: kept)
        }
    }

    private static func makeRequest(_ configuration: Configuration, conversation: Conversation,
                                    toolbox: Toolbox) throws -> URLRequest {
        var components = URLComponents(url: configuration.baseURL, resolvingAgainstBaseURL: false)!
        components.path = (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path)
            + "/chat/completions"
        var request = URLRequest(url: components.url!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        if !configuration.apiKey.isEmpty {
            request.setValue("Bearer \(configuration.apiKey)", forHTTPHeaderField: "Authorization")
        }
        // The first-byte deadline is ours (ChatCompletionStream); this is URLSession's idle
        // timeout, for a stream that stalls after it started.
        request.timeoutInterval = max(30, Double(configuration.firstByteTimeoutMS) * 3 / 1000)
        // Tools the stage runs (the toolbox) and tools only declared (`tools_json`) alike.
        var tools: [JSONValue] = []
        if case .array(let declared)? = configuration.tools { tools += declared }
        tools += try ChatCompletionRequest.tools(toolbox.definitions)
        request.httpBody = try JSONEncoder().encode(ChatCompletionRequest(
            model: configuration.model, messages: conversation.promptMessages.map(ChatCompletionRequest.Message.init),
            temperature: configuration.temperature,
            maxTokens: configuration.maxTokens, tools: tools.isEmpty ? nil : .array(tools)))
        return request
    }
}
