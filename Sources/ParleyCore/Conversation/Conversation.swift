// SPDX-License-Identifier: Apache-2.0

import Synchronization

/// The chat context of one session, shared by the stages that need it: the LLM (prompts with
/// it, appends turns), the turn manager (reads whether the agent is speaking) and the playout
/// (cuts a reply to what was actually heard).
///
/// ```
///   turn manager ──user turn──► LLM ── appendUser / recordReply ──► Conversation
///        ▲                                                            ▲   │
///        └──── agentSpeaking, interruptible ──────── playout ─────────┘   │ truncateReply(to: heard)
///                                                                          ▼
///                                                           messages (next prompt)
/// ```
///
/// Thread-safe (one mutex): stages touch it on the pipeline loop, room code may read it from
/// elsewhere. Nothing here is on the per-frame path: it changes a few times per turn.
public final class Conversation: Sendable {
    public struct Speech: Sendable, Hashable {
        /// Agent audio is being played out (or is paused mid-reply by a possible interruption).
        public var agentSpeaking = false
        /// Whether the reply being played may be interrupted (`TextFrame.allowInterruptions`).
        public var interruptible = true
        /// The reply being played.
        public var replyID: String?
        public init() {}
    }

    struct State {
        var instructions: String
        var messages: [ChatMessage] = []
        var speech = Speech()
        var replies = 0
    }

    public let maxTurns: Int
    private let state: Mutex<State>

    public init(instructions: String, maxTurns: Int = 20) {
        self.maxTurns = maxTurns
        state = Mutex(State(instructions: instructions))
    }

    // MARK: The context

    public var instructions: String {
        get { state.withLock { $0.instructions } }
        set { state.withLock { $0.instructions = newValue } }
    }

    /// What a prompt sends: the system message (the instructions) first, then the turns.
    public var promptMessages: [ChatMessage] {
        state.withLock { s in
            (s.instructions.isEmpty ? [] : [ChatMessage(role: .system, content: s.instructions)]) + s.messages
        }
    }

    /// The turns so far, without the system message.
    public var messages: [ChatMessage] { state.withLock { $0.messages } }

    /// A new reply id (`"reply-N"`), unique in this conversation.
    public func nextReplyID(prefix: String = "reply") -> String {
        state.withLock { s in
            s.replies += 1
            return "\(prefix)-\(s.replies)"
        }
    }

    public func appendUser(_ text: String) {
        state.withLock { s in
            s.messages.append(ChatMessage(role: .user, content: text))
            Self.trim(&s.messages, maxTurns: maxTurns)
        }
    }

    /// Records the assistant's text of reply `replyID` (replacing what was recorded for it
    /// before). Empty text with no tool calls records nothing.
    public func recordReply(_ replyID: String, text: String, toolCalls: [ToolCall] = []) {
        state.withLock { s in
            if let i = s.messages.lastIndex(where: { $0.replyID == replyID && $0.role == .assistant }) {
                if text.isEmpty && s.messages[i].toolCalls.isEmpty && toolCalls.isEmpty {
                    s.messages.remove(at: i)
                } else {
                    s.messages[i].content = text
                    if !toolCalls.isEmpty { s.messages[i].toolCalls = toolCalls }
                }
            } else if !text.isEmpty || !toolCalls.isEmpty {
                s.messages.append(ChatMessage(role: .assistant, content: text, toolCalls: toolCalls, replyID: replyID))
            }
        }
    }

    /// A tool round of the reply in progress: what the model said before it (may be empty)
    /// and the calls it made. Not tied to a reply id: the playout's cut applies to the reply's
    /// final text, and tool calls that ran stay in the context either way.
    public func appendToolCalls(text: String, calls: [ToolCall]) {
        state.withLock { $0.messages.append(ChatMessage(role: .assistant, content: text, toolCalls: calls)) }
    }

    /// A tool's result, answering `callID`.
    public func appendToolResult(callID: String, content: String) {
        state.withLock { $0.messages.append(ChatMessage(role: .tool, content: content, toolCallID: callID)) }
    }

    /// The reply was cut by an interruption: keep only `heard` (what playout had played when
    /// it stopped). Called by the playout after the LLM recorded the reply (the interruption
    /// reaches the LLM first), so the cut applies to the recorded text.
    public func truncateReply(_ replyID: String, toHeard heard: String) {
        state.withLock { s in
            guard let i = s.messages.lastIndex(where: { $0.replyID == replyID && $0.role == .assistant }) else { return }
            // Tool calls already ran; keep them (OpenAI refuses orphaned tool results) even if no word was heard.
            if heard.isEmpty && s.messages[i].toolCalls.isEmpty {
                s.messages.remove(at: i)
            } else {
                s.messages[i].content = heard
            }
        }
    }

    /// A preemptive reply was discarded (the final transcript differed): remove the user turn
    /// it answered and everything after it.
    public func discardLastUserTurn() {
        state.withLock { s in
            guard let i = s.messages.lastIndex(where: { $0.role == .user }) else { return }
            s.messages.removeSubrange(i...)
        }
    }

    // MARK: Speech state (written by the playout, read by the turn manager)

    public var speech: Speech { state.withLock { $0.speech } }

    public func setSpeech(_ speech: Speech) { state.withLock { $0.speech = speech } }

    /// Drops whole turns from the front until at most `maxTurns` user messages remain, so the
    /// context always starts with a user turn.
    private static func trim(_ messages: inout [ChatMessage], maxTurns: Int) {
        var users = messages.reduce(0) { $0 + ($1.role == .user ? 1 : 0) }
        while users > maxTurns, !messages.isEmpty {
            messages.removeFirst()
            while let first = messages.first, first.role != .user { messages.removeFirst() }
            users -= 1
        }
    }
}
