// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
import ParleyStreamingSTT

extension DeepgramSTT {
    /// `deepgram/MODEL[:LANGUAGE]`, e.g. `deepgram/nova-3:en` (language `en` when no variant is
    /// given; `multi` is nova-3's multilingual mode). One line in Sources/parley/Plugins.swift:
    /// `registry.register(DeepgramSTT.registration)`.
    public static let registration = StageRegistration(
        provider: "deepgram", kinds: [.stt],
        summary: "Deepgram live streaming STT over WebSocket (e.g. deepgram/nova-3:en); interim and final "
            + "transcripts, Finalize on end of speech",
        requiresModel: true,
        options: options
    ) { request in
        StreamingSTTStage(name: "stt:deepgram", provider: DeepgramSTT(configuration: try configuration(from: request)),
                          settings: settings(from: request.options))
    }

    static let options: [OptionSpec] = [
        .string("base_url", default: defaultBaseURL,
                help: "the /v1/listen WebSocket endpoint (a self-hosted Deepgram's, or a proxy's)"),
        .secret("api_key", environment: "DEEPGRAM_API_KEY",
                help: "API key, sent as Authorization: Token (may be empty for a self-hosted server)"),
        .bool("interim_results", default: true, help: "stream interim hypotheses while the user speaks"),
        .int("endpointing_ms", 0 ... 10_000, default: 25,
             help: "silence that makes Deepgram end an utterance (speech_final); 0 turns endpointing off"),
        .int("utterance_end_ms", 0 ... 60_000, default: 0,
             help: "also send UtteranceEnd after this gap after the last word (0: off; else at least 1000)"),
        .bool("vad_events", default: true, help: "ask for SpeechStarted events (logged)"),
        .bool("smart_format", default: true, help: "punctuation, casing and number formatting in finals"),
        .int("keepalive_ms", 100 ... 9_000, default: 4_000,
             help: "send KeepAlive after this long without audio (Deepgram closes idle streams after 10 s)"),
    ] + StreamingSTTSettings.options

    static func configuration(from request: StageRequest) throws -> Configuration {
        let o = request.options
        let base = try StreamingSTTEndpoint.parse(o.string("base_url") ?? defaultBaseURL, example: defaultBaseURL)
        let key = o.string("api_key") ?? ""
        try StreamingSTTEndpoint.requireKey(key, for: base, officialHostSuffix: "deepgram.com", option: "api_key",
                                            environment: "DEEPGRAM_API_KEY")
        let utteranceEnd = o.int("utterance_end_ms")
        if utteranceEnd > 0 && utteranceEnd < 1_000 {
            throw StreamingSTTSetupError("utterance_end_ms \(utteranceEnd) is below Deepgram's minimum of 1000 (0 turns it off)")
        }
        if utteranceEnd > 0 && !o.bool("interim_results") {
            throw StreamingSTTSetupError("utterance_end_ms needs interim_results: true (Deepgram finds the gap in interim results)")
        }
        return Configuration(
            model: request.descriptor.model ?? "nova-3", language: request.descriptor.variant ?? "en", baseURL: base,
            apiKey: key, interimResults: o.bool("interim_results"), endpointingMS: o.int("endpointing_ms"),
            utteranceEndMS: utteranceEnd, vadEvents: o.bool("vad_events"), smartFormat: o.bool("smart_format"))
    }

    static func settings(from options: StageOptions) -> StreamingSTTSettings {
        var settings = StreamingSTTSettings.from(options)
        settings.keepAliveMS = options.int("keepalive_ms")
        return settings
    }
}
