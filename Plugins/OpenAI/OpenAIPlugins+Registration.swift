// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

/// The OpenAI provider family as the CLI registers it:
/// `for r in OpenAIPlugins.registrations { registry.register(r) }`.
///
/// The registry keys providers by name, so one `openai` registration serves the three slots
/// and builds the stage the slot asks for:
///
/// | slot | descriptor                      | stage                      |
/// |------|---------------------------------|----------------------------|
/// | llm  | `openai/gpt-4o-mini`            | `OpenAIChatStage`          |
/// | stt  | `openai/gpt-4o-transcribe`      | `OpenAITranscriptionStage` |
/// | tts  | `openai/gpt-4o-mini-tts:alloy`  | `OpenAISpeechStage`        |
///
/// Its options are the union of the three stages' (shared ones like `base_url`, `api_key` and
/// `timeout_ms` mean the same in every slot; `instructions` is the system message for an LLM
/// and the speaking direction for TTS). An option that only another slot understands, set in
/// the config, is refused with the slot it belongs to. `openai-compatible` stays LLM-only.
public enum OpenAIPlugins {
    public static let registrations: [StageRegistration] = [registration, OpenAIChatStage.compatibleRegistration]

    public static let registration = StageRegistration(
        provider: "openai", kinds: [.llm, .stt, .tts],
        summary: "OpenAI: chat completions (llm, e.g. openai/gpt-4o-mini), transcription (stt, openai/gpt-4o-transcribe), "
            + "speech (tts, openai/gpt-4o-mini-tts:alloy)",
        requiresModel: true, options: options
    ) { request in
        try refuseForeignOptions(request)
        // Each slot's own registration builds the stage, so it gets exactly what it would alone
        // (the conversation, turn management and tools for the LLM).
        switch request.kind {
        case .stt: return try OpenAITranscriptionStage.registration.make(request)
        case .tts: return try OpenAISpeechStage.registration.make(request)
        default: return try OpenAIChatStage.registration.make(request)
        }
    }

    /// Which slots each option is for (options not listed serve every slot).
    static let slots: [String: Set<StageKind>] = {
        var slots: [String: Set<StageKind>] = [:]
        for (kind, specs) in [(StageKind.llm, OpenAIChatStage.options), (.stt, OpenAITranscriptionStage.options),
                              (.tts, OpenAISpeechStage.options)] {
            for spec in specs { slots[spec.name, default: []].insert(kind) }
        }
        return slots
    }()

    /// The three stages' options, each once, with help saying which slot uses it.
    static let options: [OptionSpec] = {
        var seen: [String: OptionSpec] = [:]
        var order: [String] = []
        for specs in [OpenAIChatStage.options, OpenAITranscriptionStage.options, OpenAISpeechStage.options] {
            for spec in specs where seen[spec.name] == nil {
                seen[spec.name] = spec
                order.append(spec.name)
            }
        }
        return order.map { name in
            var spec = seen[name]!
            let kinds = slots[name] ?? []
            switch name {
            case "instructions":
                spec.help = "llm: system message (default: the agent's instructions); tts: how to speak (gpt-4o-mini-tts)"
            case "base_url":
                spec.help = "API root up to the version path (/chat/completions, /audio/transcriptions or /audio/speech is appended)"
            case "timeout_ms":
                spec.help = "llm/tts: how long to wait for the first byte; stt: for the transcript"
            default:
                if kinds.count < 3 { spec.help = kinds.map(\.rawValue).sorted().joined(separator: "/") + ": " + spec.help }
            }
            return spec
        }
    }()

    /// Options without a default are present only when the config set them; one that only
    /// another slot understands is a mistake worth naming (`voice:` on an llm slot).
    static func refuseForeignOptions(_ request: StageRequest) throws {
        for spec in options where spec.defaultValue == nil && spec.environmentVariable == nil {
            guard request.options.values[spec.name] != nil, let kinds = slots[spec.name],
                  !kinds.contains(request.kind) else { continue }
            throw OpenAIChatStage.SetupError(description:
                "option \(spec.name) is for the \(kinds.map(\.rawValue).sorted().joined(separator: "/")) slot, not \(request.kind)")
        }
    }

    /// An http(s) API root; the default is OpenAI's.
    static func httpBase(_ text: String?) throws -> URL {
        let text = text ?? "https://api.openai.com/v1"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host != nil else {
            throw OpenAIChatStage.SetupError(description: "base_url \"\(text)\" is not an http(s) URL (e.g. https://api.openai.com/v1)")
        }
        return url
    }
}
