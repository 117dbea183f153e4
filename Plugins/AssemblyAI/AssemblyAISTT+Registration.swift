// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyStreamingSTT

extension AssemblyAISTT {
    /// `assemblyai/universal-streaming[:en|:multi]` (speech model `universal-streaming-english`
    /// or `…-multilingual`; `:en` when no variant is given), or `assemblyai/MODEL` for any other
    /// streaming speech model, passed on as `speech_model`. One line in Sources/parley/Plugins.swift:
    /// `registry.register(AssemblyAISTT.registration)`.
    public static let registration = StageRegistration(
        provider: "assemblyai", kinds: [.stt],
        summary: "AssemblyAI Universal-Streaming STT over WebSocket (v3; e.g. assemblyai/universal-streaming:en); "
            + "turns with end-of-turn detection, ForceEndpoint on end of speech",
        requiresModel: true,
        options: options
    ) { request in
        StreamingSTTStage(name: "stt:assemblyai",
                          provider: AssemblyAISTT(configuration: try configuration(from: request)),
                          settings: StreamingSTTSettings.from(request.options))
    }

    static let options: [OptionSpec] = [
        .string("base_url", default: defaultBaseURL,
                help: "the v3 WebSocket endpoint (wss://streaming.eu.assemblyai.com/v3/ws for the EU)"),
        .secret("api_key", environment: "ASSEMBLYAI_API_KEY", help: "API key, sent as the Authorization header"),
        .bool("format_turns", default: false,
              help: "wait for the formatted final of each turn (punctuation, casing; a little later)"),
        .int("chunk_ms", 50 ... 1_000, default: 50, help: "audio per message (AssemblyAI takes 50…1000 ms)"),
        OptionSpec("end_of_turn_confidence_threshold", .double(0 ... 1),
                   help: "end-of-turn confidence needed to end a turn (AssemblyAI's default when unset)"),
        OptionSpec("min_end_of_turn_silence_when_confident", .int(0 ... 10_000),
                   help: "ms of silence that end a turn when confident (AssemblyAI's default when unset)"),
        OptionSpec("max_turn_silence", .int(0 ... 60_000),
                   help: "ms of silence that end a turn in any case (AssemblyAI's default when unset)"),
    ] + StreamingSTTSettings.options

    static func configuration(from request: StageRequest) throws -> Configuration {
        let o = request.options
        let base = try StreamingSTTEndpoint.parse(o.string("base_url") ?? defaultBaseURL, example: defaultBaseURL)
        let key = o.string("api_key") ?? ""
        try StreamingSTTEndpoint.requireKey(key, for: base, officialHostSuffix: "assemblyai.com", option: "api_key",
                                            environment: "ASSEMBLYAI_API_KEY")
        let (speechModel, language) = try speechModel(model: request.descriptor.model ?? "universal-streaming",
                                                      variant: request.descriptor.variant)
        var threshold: Double?
        switch o.values["end_of_turn_confidence_threshold"] {
        case .double(let v)?: threshold = v
        case .int(let v)?: threshold = Double(v)
        default: break
        }
        var minSilence: Int?
        if case .int(let v)? = o.values["min_end_of_turn_silence_when_confident"] { minSilence = v }
        var maxSilence: Int?
        if case .int(let v)? = o.values["max_turn_silence"] { maxSilence = v }
        return Configuration(speechModel: speechModel, language: language, baseURL: base, apiKey: key,
                             formatTurns: o.bool("format_turns"), chunkMS: o.int("chunk_ms"),
                             endOfTurnConfidenceThreshold: threshold, minEndOfTurnSilenceWhenConfidentMS: minSilence,
                             maxTurnSilenceMS: maxSilence)
    }

    /// `universal-streaming` + `en`/`multi` → the v3 `speech_model` name; other models as given.
    static func speechModel(model: String, variant: String?) throws -> (String, String?) {
        guard model == "universal-streaming" else { return (model, variant) }
        switch variant ?? "en" {
        case "en": return ("universal-streaming-english", "en")
        case "multi": return ("universal-streaming-multilingual", nil)
        case let other:
            throw StreamingSTTSetupError("universal-streaming has no variant \"\(other)\" (allowed: en, multi)")
        }
    }
}
