// SPDX-License-Identifier: Apache-2.0

import ParleyCore

/// Things the agent says that no LLM wrote: the greeting, and `say()` from application code.
///
/// The text is recorded in the conversation as an assistant reply of its own (so the LLM knows
/// it was said, and the playout can cut it if the user barges in) and goes to the TTS as an
/// agent `TextFrame` pushed at the pipeline input; `allowInterruptions: false` makes the turn
/// manager let it finish whatever the user does.
public enum AgentSpeech {
    /// The frame to push (`Pipeline.push`) for `text`, recorded in `conversation` first.
    public static func say(_ text: String, allowInterruptions: Bool = true, conversation: Conversation) -> Frame {
        let id = conversation.nextReplyID(prefix: "say")
        conversation.recordReply(id, text: text)
        return .text(TextFrame(text: text, role: .agent, allowInterruptions: allowInterruptions, replyID: id))
    }

    /// The configured greeting, if any.
    public static func greeting(_ profile: AgentProfile, conversation: Conversation) -> Frame? {
        guard let text = profile.greeting, !text.isEmpty else { return nil }
        return say(text, allowInterruptions: profile.greetingAllowInterruptions, conversation: conversation)
    }
}
