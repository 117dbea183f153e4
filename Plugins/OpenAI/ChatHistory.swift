// SPDX-License-Identifier: Apache-2.0

import Foundation

/// The conversation sent with every request: the system message (the agent's instructions)
/// and the user and assistant turns so far, oldest first, trimmed to the last
/// `maxTurns` user turns (a turn = a user message and the assistant reply after it).
///
/// Owned by the stage and touched only on the pipeline loop.
struct ChatHistory {
    struct Message: Encodable, Equatable {
        var role: String
        var content: String
    }

    let instructions: String
    let maxTurns: Int
    private(set) var messages: [Message] = []

    init(instructions: String, maxTurns: Int) {
        self.instructions = instructions
        self.maxTurns = maxTurns
    }

    mutating func appendUser(_ text: String) {
        messages.append(Message(role: "user", content: text))
        trim()
    }

    /// The assistant's reply (or, for an interrupted one, the part kept of it). Empty text is
    /// not recorded: a reply that was only tool calls, or was cut before its first word.
    ///
    /// Tool calls are not recorded: OpenAI refuses an assistant `tool_calls` message that no
    /// `tool` result follows, and nothing runs tools yet.
    mutating func appendAssistant(_ text: String) {
        guard !text.isEmpty else { return }
        messages.append(Message(role: "assistant", content: text))
    }

    /// What a request sends: the system message first, then the turns.
    var requestMessages: [Message] {
        (instructions.isEmpty ? [] : [Message(role: "system", content: instructions)]) + messages
    }

    /// Drops whole turns from the front until at most `maxTurns` user messages remain.
    private mutating func trim() {
        var users = messages.reduce(0) { $0 + ($1.role == "user" ? 1 : 0) }
        while users > maxTurns, !messages.isEmpty {
            messages.removeFirst()
            // Also drop the replies of the removed user message, so the history starts with a user turn.
            while let first = messages.first, first.role != "user" { messages.removeFirst() }
            users -= 1
        }
    }
}

/// The JSON body of `POST {base_url}/chat/completions`.
struct ChatCompletionRequest: Encodable {
    var model: String
    var messages: [ChatHistory.Message]
    var stream = true
    var temperature: Double?
    var maxTokens: Int?
    /// Passed through as configured (`tools_json`): an array of `{"type": "function", …}`.
    var tools: JSONValue?

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, temperature, tools
        case maxTokens = "max_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(messages, forKey: .messages)
        try c.encode(stream, forKey: .stream)
        // Unset options are left out, so the provider's own defaults apply.
        try c.encodeIfPresent(temperature, forKey: .temperature)
        try c.encodeIfPresent(maxTokens, forKey: .maxTokens)
        try c.encodeIfPresent(tools, forKey: .tools)
    }
}
