// SPDX-License-Identifier: Apache-2.0

import Foundation
import ParleyCore
@testable import ParleyOpenAIPlugins
import Testing

/// `OpenAIPlugins.registrations`: one `openai` provider for the llm, stt and tts slots.
struct OpenAIRegistrationTests {
    let registry: StageRegistry = {
        let r = StageRegistry()
        for registration in OpenAIPlugins.registrations { r.register(registration) }
        return r
    }()

    func make(_ kind: StageKind, _ yaml: String) throws -> any Stage {
        let node = try #require(try ConfigLoader.parse(yaml: "slot: \(yaml)", file: "t.yaml", environment: [:])["slot"])
        return try registry.makeStage(kind, from: node, environment: ["OPENAI_API_KEY": "sk-env"])
    }

    @Test func eachSlotGetsItsStage() throws {
        let llm = try #require(try make(.llm, "openai/gpt-4o-mini") as? OpenAIChatStage)
        #expect(llm.configuration.model == "gpt-4o-mini" && llm.configuration.apiKey == "sk-env")
        let stt = try #require(try make(.stt, "{ provider: openai/whisper-1, language: de }") as? OpenAITranscriptionStage)
        #expect(stt.configuration.model == "whisper-1" && stt.configuration.language == "de")
        #expect(stt.configuration.requestsWordTimestamps)
        let tts = try #require(try make(.tts, "{ provider: \"openai/gpt-4o-mini-tts:alloy\", instructions: Cheerful. }")
                               as? OpenAISpeechStage)
        #expect(tts.configuration.model == "gpt-4o-mini-tts" && tts.configuration.voice == "alloy")
        #expect(tts.configuration.instructions == "Cheerful.")
        #expect(try make(.llm, "openai-compatible/llama") is OpenAIChatStage)
    }

    @Test func anOptionForAnotherSlotIsRefused() {
        #expect(throws: (any Error).self) { try make(.llm, "{ provider: openai/gpt-4o-mini, voice: alloy }") }
        #expect(throws: (any Error).self) { try make(.tts, "{ provider: openai/gpt-4o-mini-tts, temperature: 0.3 }") }
        #expect(throws: (any Error).self) { try make(.stt, "{ provider: openai/whisper-1, instructions: x }") }
        do {
            _ = try make(.llm, "{ provider: openai/gpt-4o-mini, language: en }")
        } catch {
            #expect("\(error)".contains("option language is for the stt slot, not llm"), "\(error)")
        }
    }

    @Test func optionsAreListedOnceWithTheirSlots() {
        let names = OpenAIPlugins.registration.options.map(\.name)
        #expect(names.count == Set(names).count)
        for name in ["base_url", "api_key", "voice", "speed", "language", "prompt", "word_timestamps", "temperature",
                     "tools_json", "timeout_ms", "instructions"] {
            #expect(names.contains(name), "\(name)")
        }
        let voice = OpenAIPlugins.registration.options.first { $0.name == "voice" }
        #expect(voice?.help.hasPrefix("tts: ") == true)
        #expect(OpenAIPlugins.registration.kinds == [.llm, .stt, .tts])
    }
}
