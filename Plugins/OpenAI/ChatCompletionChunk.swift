// SPDX-License-Identifier: Apache-2.0

import Foundation

/// One `chat.completion.chunk` of a streamed chat completion, reduced to the fields the stage
/// reads. Everything is optional: OpenAI-compatible servers (llama.cpp, vLLM, Ollama) differ in
/// what they include, and a usage-only chunk has no choices at all.
///
/// ```json
/// {"id": "chatcmpl-…", "object": "chat.completion.chunk", "model": "gpt-4o-mini",
///  "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": null}]}
/// {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_…", "type": "function",
///                                                     "function": {"name": "f", "arguments": "{\"a"}}]}}]}
/// ```
///
/// A chunk may instead be `{"error": {"message": …}}` when the provider fails mid-stream.
struct ChatCompletionChunk: Decodable {
    var id: String?
    var choices: [Choice]?
    var error: ProviderError?

    struct Choice: Decodable {
        var index: Int?
        var delta: Delta?
        var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case index, delta
            case finishReason = "finish_reason"
        }
    }

    struct Delta: Decodable {
        var role: String?
        var content: String?
        var toolCalls: [ToolCallDelta]?

        enum CodingKeys: String, CodingKey {
            case role, content
            case toolCalls = "tool_calls"
        }
    }

    /// A fragment of one tool call: `id` and `function.name` come in the first fragment of an
    /// `index`, `function.arguments` accrete over the following ones.
    struct ToolCallDelta: Decodable {
        var index: Int?
        var id: String?
        var function: FunctionDelta?
    }

    struct FunctionDelta: Decodable {
        var name: String?
        var arguments: String?
    }
}

/// The body of a provider error: OpenAI's `{"error": {"message", "type", "code"}}`, or the
/// plain `{"error": "text"}` some compatible servers send.
struct ProviderError: Decodable {
    var message: String
    var type: String?
    var code: String?

    enum CodingKeys: String, CodingKey { case message, type, code }

    init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            message = text
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        message = (try? c.decode(String.self, forKey: .message)) ?? "(no message)"
        type = try? c.decode(String.self, forKey: .type)
        // `code` is a string at OpenAI, a number at some compatible servers.
        code = (try? c.decode(String.self, forKey: .code)) ?? (try? c.decode(Int.self, forKey: .code)).map(String.init)
    }

    var description: String {
        var s = message
        if let code { s += " (\(code))" } else if let type { s += " (\(type))" }
        return s
    }

    /// The message of an error response body, or nil when the body is not an error object.
    static func parse(_ body: Data) -> ProviderError? {
        struct Envelope: Decodable { var error: ProviderError }
        return try? JSONDecoder().decode(Envelope.self, from: body).error
    }
}
