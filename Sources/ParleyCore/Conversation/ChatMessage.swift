// SPDX-License-Identifier: Apache-2.0

/// One entry of the chat context an LLM is prompted with.
public struct ChatMessage: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String
    /// Tool calls the assistant asked for (role `.assistant`).
    public var toolCalls: [ToolCall]
    /// The call this message answers (role `.tool`).
    public var toolCallID: String?
    /// The reply this assistant message belongs to (`TextFrame.replyID`), so playout can cut it
    /// to what was heard; nil for user, system and tool messages.
    public var replyID: String?

    public init(role: Role, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil,
                replyID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.replyID = replyID
    }
}
