// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// The JSON body of `POST {base_url}/chat/completions`.
struct ChatCompletionRequest: Encodable {
    /// One entry of `messages`: `{"role", "content"}`.
    struct Message: Encodable, Equatable {
        var role: String
        var content: String

        init(role: String, content: String) {
            self.role = role
            self.content = content
        }

        /// Tool calls are not sent yet: OpenAI refuses an assistant `tool_calls` message that
        /// no `tool` result follows, and tool execution lands with the tools work.
        init(_ message: ChatMessage) {
            role = message.role.rawValue
            content = message.content
        }
    }

    var model: String
    var messages: [Message]
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
