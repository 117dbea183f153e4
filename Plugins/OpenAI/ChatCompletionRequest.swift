// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// The JSON body of `POST {base_url}/chat/completions`.
struct ChatCompletionRequest: Encodable {
    /// One entry of `messages`: `{"role", "content"}`, plus `tool_calls` on an assistant
    /// message that called tools and `tool_call_id` on a tool result.
    struct Message: Encodable, Equatable {
        var role: String
        var content: String
        var toolCalls: [ToolCall] = []
        var toolCallID: String?

        init(role: String, content: String) {
            self.role = role
            self.content = content
        }

        init(_ message: ChatMessage) {
            role = message.role.rawValue
            content = message.content
            toolCalls = message.toolCalls
            toolCallID = message.toolCallID
        }

        enum CodingKeys: String, CodingKey {
            case role, content
            case toolCalls = "tool_calls"
            case toolCallID = "tool_call_id"
        }

        struct WireCall: Encodable {
            struct Function: Encodable {
                var name: String
                var arguments: String
            }
            var id: String
            var type = "function"
            var function: Function
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(role, forKey: .role)
            if toolCalls.isEmpty {
                try c.encode(content, forKey: .content)
            } else {
                // An assistant turn that only called tools has no content: null, as OpenAI sends it.
                if content.isEmpty { try c.encodeNil(forKey: .content) } else { try c.encode(content, forKey: .content) }
                try c.encode(toolCalls.map { WireCall(id: $0.id, function: .init(name: $0.name, arguments: $0.argumentsJSON)) },
                             forKey: .toolCalls)
            }
            try c.encodeIfPresent(toolCallID, forKey: .toolCallID)
        }
    }

    /// The `tools` array for `definitions` (`{"type": "function", "function": {name, description, parameters}}`).
    static func tools(_ definitions: [ToolDefinition]) throws -> [JSONValue] {
        try definitions.map { d in
            let parameters = try JSONDecoder().decode(JSONValue.self, from: Data(d.parametersSchemaJSON.utf8))
            return .object(["type": .string("function"),
                            "function": .object(["name": .string(d.name), "description": .string(d.description),
                                                 "parameters": parameters])])
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
