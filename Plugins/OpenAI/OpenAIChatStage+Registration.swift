// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

extension OpenAIChatStage {
    /// `openai/MODEL` and its alias `openai-compatible/MODEL` (same stage; the alias reads
    /// better in a config that points `base_url` at a llama.cpp server, vLLM or Ollama).
    /// Register both with one line: `for r in OpenAIChatStage.registrations { registry.register(r) }`.
    public static let registrations: [StageRegistration] = [registration, compatibleRegistration]

    public static let registration = makeRegistration(
        provider: "openai", summary: "OpenAI chat completions, streamed (LLM; e.g. openai/gpt-4o-mini)")

    public static let compatibleRegistration = makeRegistration(
        provider: "openai-compatible",
        summary: "Any OpenAI-compatible chat-completions server (llama.cpp, vLLM, Ollama…); set base_url")

    static let options: [OptionSpec] = [
        .string("base_url", default: "https://api.openai.com/v1",
                help: "API root up to the version path; /chat/completions is appended"),
        .secret("api_key", environment: "OPENAI_API_KEY", help: "API key (may be empty for local servers)"),
        .string("instructions", default: nil,
                help: "system message; default: the agent's instructions (agent.instructions or the session's prompt)"),
        OptionSpec("temperature", .double(0 ... 2), help: "sampling temperature (provider default when unset)"),
        OptionSpec("max_tokens", .int(1 ... 1_000_000), help: "longest reply in tokens (provider default when unset)"),
        .int("timeout_ms", 100 ... 300_000, default: 10_000, help: "how long to wait for the first byte of a reply"),
        .int("max_history_turns", 1 ... 10_000, default: 20, help: "user turns (with their replies) kept in the context"),
        .string("tools_json", default: nil, help: "JSON array of tool definitions sent with each request"),
        .bool("text_frames", default: true,
              help: "also emit each complete sentence as agent text (what TTS stages speak)"),
    ]

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    private static func makeRegistration(provider: String, summary: String) -> StageRegistration {
        StageRegistration(provider: provider, kinds: [.llm], summary: summary, requiresModel: true, options: options) {
            request in
            OpenAIChatStage(configuration: try configuration(from: request), provider: provider,
                            conversation: request.conversation, turnManaged: request.turnManaged,
                            toolbox: request.toolbox)
        }
    }

    static func configuration(from request: StageRequest) throws -> Configuration {
        let o = request.options
        let urlText = o.string("base_url") ?? "https://api.openai.com/v1"
        guard let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host != nil else {
            throw SetupError(description: "base_url \"\(urlText)\" is not an http(s) URL (e.g. http://localhost:8080/v1)")
        }
        var tools: JSONValue?
        if let text = o.string("tools_json") {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
                  case .array = value else {
                throw SetupError(description: "tools_json is not a JSON array of tool definitions")
            }
            tools = value
        }
        var temperature: Double?
        switch o.values["temperature"] {
        case .double(let v)?: temperature = v
        case .int(let v)?: temperature = Double(v)
        default: break
        }
        var maxTokens: Int?
        if case .int(let v)? = o.values["max_tokens"] { maxTokens = v }
        return Configuration(
            model: request.descriptor.model ?? "", baseURL: url, apiKey: o.string("api_key") ?? "",
            instructions: o.string("instructions") ?? request.agentInstructions ?? defaultInstructions, temperature: temperature,
            maxTokens: maxTokens, firstByteTimeoutMS: o.int("timeout_ms"), maxHistoryTurns: o.int("max_history_turns"),
            tools: tools, emitsSentences: o.bool("text_frames"))
    }
}
