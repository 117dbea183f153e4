// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

extension OpenAISpeechStage {
    /// `openai/MODEL:VOICE` as a TTS provider on its own (e.g. `openai/gpt-4o-mini-tts:alloy`).
    /// The CLI registers `OpenAIPlugins.registrations`, where one `openai` provider serves the
    /// llm, stt and tts slots.
    public static let registration = StageRegistration(
        provider: "openai", kinds: [.tts],
        summary: "OpenAI speech (TTS), PCM streamed per sentence (e.g. openai/gpt-4o-mini-tts:alloy)",
        requiresModel: true, options: options
    ) { request in
        OpenAISpeechStage(configuration: try configuration(from: request))
    }

    static let options: [OptionSpec] = [
        .string("base_url", default: "https://api.openai.com/v1",
                help: "API root up to the version path; /audio/speech is appended"),
        .secret("api_key", environment: "OPENAI_API_KEY", help: "API key (may be empty for local servers)"),
        .string("voice", default: nil, help: "voice (instead of the descriptor's :VOICE; default alloy)"),
        .string("instructions", default: nil, help: "how to speak, for gpt-4o-mini-tts (\"Speak calmly.\")"),
        OptionSpec("speed", .double(0.25 ... 4), help: "speaking rate (provider default when unset)"),
        .int("timeout_ms", 100 ... 300_000, default: 10_000, help: "how long a text may wait for its first audio"),
    ]

    static func configuration(from request: StageRequest) throws -> Configuration {
        let o = request.options
        var speed: Double?
        switch o.values["speed"] {
        case .double(let v)?: speed = v
        case .int(let v)?: speed = Double(v)
        default: break
        }
        return Configuration(
            model: request.descriptor.model ?? "gpt-4o-mini-tts",
            voice: o.string("voice") ?? request.descriptor.variant ?? "alloy",
            baseURL: try OpenAIPlugins.httpBase(o.string("base_url")), apiKey: o.string("api_key") ?? "",
            instructions: o.string("instructions"), speed: speed, firstByteTimeoutMS: o.int("timeout_ms"))
    }
}
