// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

extension ElevenLabsTTSStage {
    /// `elevenlabs/MODEL:VOICE_ID` (e.g. `elevenlabs/eleven_flash_v2_5:JBFqnCBsd6RMkjVDRZzb`).
    public static let registration = StageRegistration(
        provider: "elevenlabs", kinds: [.tts],
        summary: "ElevenLabs TTS over its input-streaming WebSocket, one stream per reply (elevenlabs/eleven_flash_v2_5:VOICE_ID)",
        options: [
            .string("base_url", default: "wss://api.elevenlabs.io",
                    help: "WebSocket root (ws:// or wss://, http(s):// is mapped); /v1/text-to-speech/VOICE/stream-input is appended"),
            .secret("api_key", environment: "ELEVENLABS_API_KEY", help: "ElevenLabs API key (sent as xi-api-key)"),
            .string("voice", default: nil, help: "voice id (instead of the descriptor's :VOICE_ID)"),
            .oneOf("sample_rate", ["16000", "22050", "24000", "44100"], default: "24000",
                   help: "PCM rate requested (output_format pcm_RATE)"),
            .string("language", default: nil, help: "ISO 639-1 language code (Flash/Turbo v2.5 models)"),
            OptionSpec("stability", .double(0 ... 1), help: "voice stability (provider default when unset)"),
            OptionSpec("similarity_boost", .double(0 ... 1), help: "voice similarity boost (provider default when unset)"),
            OptionSpec("style", .double(0 ... 1), help: "style exaggeration (provider default when unset)"),
            OptionSpec("speed", .double(0.7 ... 1.2), help: "speaking rate (provider default when unset)"),
            .bool("auto_mode", default: true, help: "no chunk schedule or buffering (text comes in whole sentences)"),
            .bool("connect_ahead", default: true, help: "open the next reply's socket ahead of time"),
            .int("inactivity_timeout_s", 1 ... 180, default: 180, help: "how long the provider keeps an idle socket open"),
            .int("timeout_ms", 100 ... 120_000, default: 5_000, help: "how long a text may wait for its first audio"),
        ]
    ) { request in
        ElevenLabsTTSStage(configuration: try configuration(from: request))
    }

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    static func configuration(from request: StageRequest) throws -> Configuration {
        let o = request.options
        guard let voice = o.string("voice") ?? request.descriptor.variant, !voice.isEmpty else {
            throw SetupError(description:
                "needs a voice id: elevenlabs/\(request.descriptor.model ?? "eleven_flash_v2_5"):VOICE_ID or voice:")
        }
        guard let key = o.string("api_key"), !key.isEmpty else {
            throw SetupError(description: "needs an API key: set api_key or ELEVENLABS_API_KEY")
        }
        func number(_ name: String) -> Double? {
            switch o.values[name] {
            case .double(let v)?: return v
            case .int(let v)?: return Double(v)
            default: return nil
            }
        }
        return Configuration(
            model: request.descriptor.model ?? "eleven_flash_v2_5", voiceID: voice,
            sampleRate: Int(o.string("sample_rate") ?? "24000") ?? 24_000,
            baseURL: try webSocketBase(o.string("base_url") ?? "wss://api.elevenlabs.io"), apiKey: key,
            languageCode: o.string("language"), stability: number("stability"),
            similarityBoost: number("similarity_boost"), style: number("style"), speed: number("speed"),
            autoMode: o.bool("auto_mode"), inactivityTimeoutSeconds: o.int("inactivity_timeout_s"),
            connectAhead: o.bool("connect_ahead"), firstByteTimeoutMS: o.int("timeout_ms"))
    }

    /// `ws(s)://host[:port][/prefix][?query]`; `http(s)://` is accepted and mapped to `ws(s)://`.
    static func webSocketBase(_ text: String) throws -> String {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), url.host != nil,
              ["ws", "wss", "http", "https"].contains(scheme) else {
            throw SetupError(description: "base_url \"\(text)\" is not a ws(s):// URL (e.g. wss://api.elevenlabs.io)")
        }
        switch scheme {
        case "http": return "ws" + text.dropFirst(4)
        case "https": return "wss" + text.dropFirst(5)
        default: return text
        }
    }
}
