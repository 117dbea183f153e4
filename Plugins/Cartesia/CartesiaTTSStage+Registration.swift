// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore

extension CartesiaTTSStage {
    /// `cartesia/MODEL:VOICE_ID` (e.g. `cartesia/sonic-2:a0e99841-438c-4a64-b679-ae501e7d6091`).
    public static let registration = StageRegistration(
        provider: "cartesia", kinds: [.tts],
        summary: "Cartesia Sonic TTS over its WebSocket: one context per reply, sentences continued (cartesia/sonic-2:VOICE_ID)",
        options: [
            .string("base_url", default: "wss://api.cartesia.ai",
                    help: "WebSocket root (ws:// or wss://, http(s):// is mapped); /tts/websocket is appended before any query"),
            .secret("api_key", environment: "CARTESIA_API_KEY", help: "Cartesia API key (sent as X-API-Key)"),
            .string("voice", default: nil, help: "voice id (instead of the descriptor's :VOICE_ID)"),
            .string("language", default: "en", help: "language code of the text"),
            .oneOf("sample_rate", ["8000", "16000", "22050", "24000", "44100", "48000"], default: "24000",
                   help: "PCM rate requested (raw pcm_s16le)"),
            .string("api_version", default: CartesiaTTSStage.apiVersion, help: "Cartesia-Version header"),
            .int("timeout_ms", 100 ... 120_000, default: 5_000, help: "how long a text may wait for its first audio"),
        ]
    ) { request in
        CartesiaTTSStage(configuration: try configuration(from: request))
    }

    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    static func configuration(from request: StageRequest) throws -> Configuration {
        let o = request.options
        guard let voice = o.string("voice") ?? request.descriptor.variant, !voice.isEmpty else {
            throw SetupError(description: "needs a voice id: cartesia/\(request.descriptor.model ?? "sonic-2"):VOICE_ID or voice:")
        }
        guard let key = o.string("api_key"), !key.isEmpty else {
            throw SetupError(description: "needs an API key: set api_key or CARTESIA_API_KEY")
        }
        let base = try webSocketBase(o.string("base_url") ?? "wss://api.cartesia.ai")
        return Configuration(
            model: request.descriptor.model ?? "sonic-2", voiceID: voice, language: o.string("language") ?? "en",
            sampleRate: Int(o.string("sample_rate") ?? "24000") ?? 24_000, baseURL: base, apiKey: key,
            apiVersion: o.string("api_version") ?? CartesiaTTSStage.apiVersion, firstByteTimeoutMS: o.int("timeout_ms"))
    }

    /// `ws(s)://host[:port][/prefix][?query]`; `http(s)://` is accepted and mapped to `ws(s)://`.
    static func webSocketBase(_ text: String) throws -> String {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), url.host != nil,
              ["ws", "wss", "http", "https"].contains(scheme) else {
            throw SetupError(description: "base_url \"\(text)\" is not a ws(s):// URL (e.g. wss://api.cartesia.ai)")
        }
        switch scheme {
        case "http": return "ws" + text.dropFirst(4)
        case "https": return "wss" + text.dropFirst(5)
        default: return text
        }
    }
}
