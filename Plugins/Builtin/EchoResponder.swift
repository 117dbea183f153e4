// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// Stands in for an LLM: answers each final user transcript with agent text that repeats it
/// ("You said: …"). With an STT in front and a TTS behind it, it exercises the whole speech
/// path (VAD → STT → turn → text → TTS) without a language model. Transcripts pass through,
/// so they also reach the output. Behind a turn manager it answers the committed user turns
/// (user `TextFrame`s) instead of each final transcript.
public final class EchoResponder: Stage {
    public let name = "llm:echo"
    public var accepts: FrameKinds { [.transcript, .text] }
    public var produces: FrameKinds { .text }
    private let prefix: String
    private let turnManaged: Bool
    private let conversation: Conversation?

    public init(prefix: String = "You said: ", turnManaged: Bool = false, conversation: Conversation? = nil) {
        self.prefix = prefix
        self.turnManaged = turnManaged
        self.conversation = conversation
    }

    public func process(_ frame: Frame, _ context: StageContext) {
        context.emit(frame)
        let heard: String
        switch frame {
        case .transcript(let t) where t.role == .user && t.isFinal && !turnManaged: heard = t.text
        case .text(let t) where t.role == .user: heard = t.text
        default: return
        }
        let text = heard.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return }
        let reply = prefix + text
        let id = conversation?.nextReplyID(prefix: name)
        if let conversation, let id {
            conversation.appendUser(text)
            conversation.recordReply(id, text: reply)
        }
        context.emit(.text(TextFrame(text: reply, role: .agent, replyID: id)))
    }

    public static let registration = StageRegistration(
        provider: "echo", kinds: [.llm, .processor],
        summary: "Answers each final transcript by repeating it (an LLM stand-in for testing the speech path)",
        options: [.string("prefix", default: "You said: ", help: "text spoken before the repeated words")]
    ) { request in
        EchoResponder(prefix: request.options.string("prefix") ?? "You said: ", turnManaged: request.turnManaged,
                      conversation: request.conversation)
    }
}
