// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Tells a TTS stage which agent texts belong to one reply, from the LLM frames flowing past it.
///
/// LLM stages send each sentence of a reply as an agent `TextFrame` between the reply's
/// `responseStarted` and `responseEnded` (see `OpenAIChatStage`). A TTS provider that keeps
/// prosody across the sentences of one utterance (Cartesia's continued contexts, ElevenLabs'
/// input stream) needs to know when the reply is over, so that it can close the utterance.
/// Text that arrives outside any response (a greeting, an echo responder) is a reply of its own.
///
/// ```
///   responseStarted(r1) ─► open      text ─► continues reply r1
///   responseEnded(r1)   ─► close     text (no response open) ─► a whole reply by itself
/// ```
///
/// Texts also carry the reply they belong to (`TextFrame.replyID`, the conversation's message
/// id): a text of another reply while one is open ends the open one, even if its
/// `responseEnded` went missing.
///
/// Used on the pipeline loop only.
public struct ReplyBrackets: Sendable {
    /// What the stage should do with its provider's utterance.
    public enum Event: Sendable, Equatable {
        /// The open reply is over: close the provider's utterance.
        case endReply
    }

    public private(set) var isOpen = false
    /// The `replyID` of the open reply's texts (nil until one carries an id).
    private var openReplyID: String?

    public init() {}

    /// Feeds an LLM frame; returns `.endReply` when an open reply ended (or was superseded by a
    /// new response that started without the previous one ending).
    public mutating func observe(_ frame: LLMFrame) -> Event? {
        switch frame {
        case .responseStarted:
            defer {
                isOpen = true
                openReplyID = nil
            }
            return isOpen ? .endReply : nil
        case .responseEnded:
            defer {
                isOpen = false
                openReplyID = nil
            }
            return isOpen ? .endReply : nil
        case .textDelta, .toolCall:
            return nil
        }
    }

    /// An agent text arrived; `.endReply` when it belongs to another reply than the open one
    /// (the open reply is over; the text starts the next, still within brackets).
    public mutating func observe(_ text: TextFrame) -> Event? {
        guard isOpen else { return nil }
        defer { if let id = text.replyID { openReplyID = id } }
        if let id = text.replyID, let open = openReplyID, id != open { return .endReply }
        return nil
    }

    /// An interruption cut the reply: its `responseEnded` is purged and never arrives.
    public mutating func interrupted() {
        isOpen = false
        openReplyID = nil
    }
}
