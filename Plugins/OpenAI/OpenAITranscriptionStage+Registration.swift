// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

extension OpenAITranscriptionStage {
    /// `openai/MODEL` as an STT provider on its own (e.g. `openai/gpt-4o-transcribe`,
    /// `openai/whisper-1`). The CLI registers `OpenAIPlugins.registrations`, where one `openai`
    /// provider serves the llm, stt and tts slots.
    public static let registration = StageRegistration(
        provider: "openai", kinds: [.stt],
        summary: "OpenAI transcription (STT) per utterance after the VAD's end of speech (e.g. openai/gpt-4o-transcribe)",
        requiresModel: true, options: options
    ) { request in
        OpenAITranscriptionStage(configuration: try configuration(from: request))
    }

    static let options: [OptionSpec] = [
        .string("base_url", default: "https://api.openai.com/v1",
                help: "API root up to the version path; /audio/transcriptions is appended"),
        .secret("api_key", environment: "OPENAI_API_KEY", help: "API key (may be empty for local servers)"),
        .string("language", default: nil, help: "ISO 639-1 language of the speech (detected when unset)"),
        .string("prompt", default: nil, help: "context for the model: names, spellings, the previous sentence"),
        .bool("word_timestamps", default: true, help: "ask for word timings (whisper-1 only; other models have none)"),
        .int("timeout_ms", 100 ... 300_000, default: 10_000, help: "how long to wait for a transcript"),
    ]

    static func configuration(from request: StageRequest) throws -> Configuration {
        let o = request.options
        return Configuration(
            model: request.descriptor.model ?? "gpt-4o-transcribe", baseURL: try OpenAIPlugins.httpBase(o.string("base_url")),
            apiKey: o.string("api_key") ?? "", language: o.string("language"), prompt: o.string("prompt"),
            wordTimestamps: o.bool("word_timestamps"), timeoutMS: o.int("timeout_ms"))
    }
}
