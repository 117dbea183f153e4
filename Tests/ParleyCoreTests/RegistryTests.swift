// SPDX-License-Identifier: Apache-2.0

import Testing
@testable import ParleyCore

@Suite("Descriptors and the stage registry")
struct RegistryTests {
    @Test("descriptors parse provider/model:variant", arguments: [
        ("deepgram/nova-3:en", "deepgram", "nova-3", "en"),
        ("cartesia/sonic-3:9626c31c-bec5-4cca-baa8-f8ba9e84c8bc", "cartesia", "sonic-3", "9626c31c-bec5-4cca-baa8-f8ba9e84c8bc"),
        ("openai/gpt-4o-mini", "openai", "gpt-4o-mini", nil),
        ("webrtc", "webrtc", nil, nil),
        ("OpenAI/gpt-realtime:Alloy", "openai", "gpt-realtime", "Alloy"),
        ("elevenlabs/eleven_turbo_v2:voice:with:colons", "elevenlabs", "eleven_turbo_v2", "voice:with:colons"),
    ] as [(String, String, String?, String?)])
    func parse(text: String, provider: String, model: String?, variant: String?) throws {
        let d = try StageDescriptor(parsing: text)
        #expect(d.provider == provider && d.model == model && d.variant == variant)
    }

    @Test("bad descriptors say what is wrong", arguments: [
        ("", "is empty"), ("/nova-3", "has no provider before '/'"), ("deepgram/", "has an empty model after '/'"),
        ("deepgram/nova-3:", "has an empty variant after ':'"), ("deep gram/x", "has a provider name with characters other than letters, digits, '-', '_' or '.'"),
    ])
    func badDescriptor(text: String, problem: String) {
        #expect(throws: DescriptorError(text: text, problem: problem)) { try StageDescriptor(parsing: text) }
    }

    final class Dummy: Stage {
        let name: String
        let options: StageOptions
        init(_ name: String, _ options: StageOptions) { self.name = name; self.options = options }
    }

    func registry() -> StageRegistry {
        let r = StageRegistry()
        r.register(StageRegistration(provider: "deepgram", kinds: [.stt], summary: "test", models: ["nova-3", "nova-2"],
                                     requiresModel: true,
                                     options: [.secret("api_key", environment: "DEEPGRAM_API_KEY", help: "key"),
                                               .int("endpointing_ms", 0...5000, default: 25, help: "x")]) {
            Dummy("stt", $0.options)
        })
        r.register(StageRegistration(provider: "webrtc", kinds: [.vad], summary: "test",
                                     options: [.oneOf("mode", ["0", "1", "2", "3"], default: "2", help: "aggressiveness"),
                                               .double("threshold", 0...1, default: 0.5, help: "x")]) {
            Dummy("vad", $0.options)
        })
        return r
    }

    @Test("a descriptor resolves to its factory with typed, defaulted options and env secrets")
    func resolves() throws {
        let stage = try registry().makeStage(.stt, descriptor: "deepgram/nova-3:en", environment: ["DEEPGRAM_API_KEY": "k"])
        let d = try #require(stage as? Dummy)
        #expect(d.options.string("api_key") == "k")
        #expect(d.options.int("endpointing_ms") == 25)
    }

    @Test("an unknown provider lists the registered ones for that slot")
    func unknownProvider() {
        #expect {
            try registry().makeStage(.stt, descriptor: "assemblyai/universal-streaming:en")
        } throws: { e in
            (e as? ConfigError)?.description
                == "<argument>:1:1: \"assemblyai/universal-streaming:en\" is not a registered stt provider (allowed: deepgram)"
        }
    }

    @Test("a provider in the wrong slot, a missing or unknown model are refused")
    func wrongSlotAndModel() {
        let r = registry()
        #expect(throws: ConfigError.self) { try r.makeStage(.tts, descriptor: "deepgram/nova-3") }
        #expect(throws: ConfigError.self) { try r.makeStage(.stt, descriptor: "deepgram") }
        #expect(throws: ConfigError.self) { try r.makeStage(.stt, descriptor: "deepgram/nova-9") }
    }

    @Test("options in a mapping are validated: type, range, unknown keys")
    func optionValidation() throws {
        let r = registry()
        func node(_ yaml: String) throws -> ConfigNode {
            try #require(ConfigLoader.parse(yaml: yaml, file: "t.yaml", environment: [:])["vad"])
        }
        let ok = try r.makeStage(.vad, from: node("vad: { provider: webrtc, mode: 3, threshold: 0.7 }"), environment: [:])
        #expect((ok as? Dummy)?.options.string("mode") == "3")
        #expect((ok as? Dummy)?.options.double("threshold") == 0.7)
        #expect(throws: ConfigError.self) { try r.makeStage(.vad, from: node("vad: { provider: webrtc, mode: 7 }"), environment: [:]) }
        #expect(throws: ConfigError.self) { try r.makeStage(.vad, from: node("vad: { provider: webrtc, threshold: high }"), environment: [:]) }
        #expect(throws: ConfigError.self) { try r.makeStage(.vad, from: node("vad: { provider: webrtc, treshold: 0.5 }"), environment: [:]) }
    }
}
